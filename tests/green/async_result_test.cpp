// green::AsyncResult<T> and AsyncResult<void>: values and exceptions crossing
// greenlets, get/wait with timeouts, FIFO release of waiters, kills while waiting.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "green/event.hpp"
#include "green/green.hpp"

namespace {
green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("AsyncResult delivers a value set by another greenlet", "[async_result]") {
  // The seeds' example: a setter sleeps, then wakes the waiter with a value.
  green::Hub hub(virtual_clock());
  green::AsyncResult<std::string> result;
  auto setter = green::spawn([&] {
    green::sleep(3);
    result.set("Hello!");
  });
  CHECK_FALSE(result.ready());
  CHECK(result.get() == "Hello!");
  CHECK(hub.now() == 3);
  CHECK(result.ready());
  CHECK(result.successful());
  CHECK(result.value() == std::optional<std::string>("Hello!"));
  CHECK(result.exception() == nullptr);
  CHECK(result.get_nowait() == "Hello!");
  setter->join();
}

TEST_CASE("AsyncResult rethrows an exception set from another greenlet", "[async_result]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  auto producer = green::spawn([&] {
    try {
      green::sleep(1);
      throw std::runtime_error("no answer");
    } catch (...) {
      green::sleep(1);  // switch inside the handler before publishing
      result.set_exception(std::current_exception());
    }
  });
  CHECK(result.wait());  // wait() does not rethrow
  CHECK(result.ready());
  CHECK_FALSE(result.successful());
  CHECK(result.exception() != nullptr);
  CHECK_FALSE(result.value().has_value());
  CHECK_THROWS_WITH(result.get(), "no answer");
  CHECK_THROWS_AS(result.get_nowait(), std::runtime_error);
  CHECK(hub.now() == 2);
  producer->join();
  CHECK(producer->successful());
}

TEST_CASE("AsyncResult get with a timeout throws TimeoutError at the deadline",
          "[async_result][timeout]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  bool timed_out = false;
  try {
    result.get(0.5);
  } catch (const green::TimeoutError& e) {
    timed_out = true;
    CHECK(e.seconds() == 0.5);
    CHECK(e.source() == nullptr);
  }
  CHECK(timed_out);
  CHECK(hub.now() == Approx(0.5));
  CHECK_FALSE(result.wait(0.5));
  CHECK(hub.now() == Approx(1.0));
  CHECK_THROWS_AS(result.get_nowait(), green::TimeoutError);
  result.set(7);
  CHECK(result.get(0) == 7);
}

TEST_CASE("AsyncResult releases every waiter in FIFO order with the same value", "[async_result]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  std::vector<std::string> log;
  auto reader = [&](std::string name) { log.push_back(name + "=" + std::to_string(result.get())); };
  auto a = green::spawn(reader, std::string("a"));
  auto b = green::spawn(reader, std::string("b"));
  auto c = green::spawn(reader, std::string("c"));
  green::sleep(1);
  result.set(42);
  green::joinall(green::greenlets(a, b, c));
  CHECK(log == std::vector<std::string>{"a=42", "b=42", "c=42"});
}

TEST_CASE("AsyncResult exception reaches every waiter", "[async_result]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  int failures = 0;
  auto reader = [&] {
    try {
      result.get();
    } catch (const std::logic_error&) {
      ++failures;
    }
  };
  auto a = green::spawn(reader);
  auto b = green::spawn(reader);
  green::sleep(1);
  result.set_exception(std::make_exception_ptr(std::logic_error("bad")));
  green::joinall(green::greenlets(a, b));
  CHECK(failures == 2);
}

TEST_CASE("AsyncResult last outcome wins", "[async_result]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  result.set(1);
  result.set(2);
  CHECK(result.get() == 2);
  result.set_exception(std::make_exception_ptr(std::runtime_error("late")));
  CHECK_FALSE(result.successful());
  CHECK_THROWS_AS(result.get(), std::runtime_error);
  result.set(3);
  CHECK(result.successful());
  CHECK(result.get() == 3);
}

TEST_CASE("AsyncResult void signals completion and failures", "[async_result]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<void> done;
  auto worker = green::spawn([&] {
    green::sleep(2);
    done.set();
  });
  CHECK_FALSE(done.ready());
  done.get();
  CHECK(done.ready());
  CHECK(done.successful());
  CHECK(hub.now() == 2);
  worker->join();

  green::AsyncResult<void> failed;
  CHECK_THROWS_AS(failed.get(1), green::TimeoutError);
  CHECK_THROWS_AS(failed.get_nowait(), green::TimeoutError);
  failed.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  CHECK_THROWS_WITH(failed.get(), "boom");
}

TEST_CASE("AsyncResult reader killed while waiting leaves the result usable",
          "[async_result][kill]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  auto victim = green::spawn([&] { return result.get(); });
  auto survivor = green::spawn([&] { return result.get(); });
  green::sleep(1);
  victim->kill();
  CHECK(victim->dead());
  result.set(5);
  CHECK(survivor->get() == 5);
  CHECK_FALSE(victim->value().has_value());
}

TEST_CASE("AsyncResult get inside a green Timeout propagates that Timeout",
          "[async_result][timeout]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  green::Timeout timeout(1);
  const green::Timeout* source = nullptr;
  try {
    result.get(10);
  } catch (const green::TimeoutError& e) {
    source = e.source();
  }
  CHECK(source == &timeout);
  CHECK(hub.now() == 1);
}

TEST_CASE("AsyncResult set from a hub callback releases main", "[async_result]") {
  green::Hub hub(virtual_clock());
  green::AsyncResult<int> result;
  green::Timer timer(hub, [&] { result.set(9); });
  timer.start(4);
  CHECK(result.get() == 9);
  CHECK(hub.now() == 4);
}
