// Timeout: scoped expiry thrown into the arming greenlet, custom exceptions,
// cancel/pending, nesting, with_timeout, and immunity to catch (std::exception&).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "green/green.hpp"

namespace {
green::Hub::Options virtual_time() {
  return green::Hub::Options{.virtual_clock = true};
}
struct TooSlow {
  std::string why;
};
}  // namespace

TEST_CASE("a Timeout that does not fire changes nothing", "[timeout]") {
  green::Hub hub(virtual_time());
  green::Timeout timeout(1.0);
  CHECK(timeout.pending());
  green::sleep(0.5);
  timeout.cancel();
  CHECK_FALSE(timeout.pending());
  green::sleep(1.0);
  CHECK(hub.now() == Approx(1.5));
}

TEST_CASE("a Timeout can throw a custom exception", "[timeout]") {
  green::Hub hub(virtual_time());
  try {
    green::Timeout timeout(0.25, TooSlow{"budget spent"});
    green::sleep(1);
    FAIL("not interrupted");
  } catch (const TooSlow& e) {
    CHECK(e.why == "budget spent");
  }
  CHECK(hub.now() == Approx(0.25));
}

TEST_CASE("catch (std::exception&) cannot swallow a Timeout", "[timeout]") {
  green::Hub hub(virtual_time());
  bool swallowed = false;
  bool reached_outer = false;
  try {
    green::Timeout timeout(0.1);
    try {
      green::sleep(1);
    } catch (const std::exception&) {
      swallowed = true;
    }
  } catch (const green::TimeoutError&) {
    reached_outer = true;
  }
  CHECK_FALSE(swallowed);
  CHECK(reached_outer);
}

TEST_CASE("nested timeouts: the inner one that fires is the one caught", "[timeout]") {
  green::Hub hub(virtual_time());
  green::Timeout outer(5);
  const green::Timeout* fired = nullptr;
  {
    green::Timeout inner(1);
    try {
      green::sleep(10);
    } catch (const green::TimeoutError& e) {
      fired = e.source();
      CHECK(e.source() == &inner);
    }
  }
  CHECK(fired != nullptr);
  CHECK(outer.pending());
  CHECK(hub.now() == Approx(1));
}

TEST_CASE("with_timeout returns the value, the fallback, or throws", "[timeout]") {
  green::Hub hub(virtual_time());
  CHECK(green::with_timeout(
            1.0, [] { return 5; }, -1) == 5);
  CHECK(green::with_timeout(
            0.5,
            [] {
              green::sleep(2);
              return 5;
            },
            -1) == -1);
  CHECK(hub.now() == Approx(0.5));
  CHECK_THROWS_AS(green::with_timeout(0.5, [] { green::sleep(2); }), green::TimeoutError);
}

TEST_CASE("a Timeout armed in one greenlet does not touch others", "[timeout]") {
  green::Hub hub(virtual_time());
  bool other_finished = false;
  auto other = green::spawn([&] {
    green::sleep(2);
    other_finished = true;
  });
  auto limited = green::spawn([] {
    green::Timeout timeout(1);
    green::sleep(3);
  });
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  green::joinall({other, limited});
  CHECK(other_finished);
  CHECK_FALSE(limited->successful());
  CHECK_THROWS_AS(limited->get(), green::TimeoutError);
}

TEST_CASE("a Timeout that expires while blocked in join interrupts the join", "[timeout]") {
  green::Hub hub(virtual_time());
  auto slow = green::spawn([] { green::sleep(10); });
  CHECK_THROWS_AS(green::with_timeout(1, [&] { slow->join(); }), green::TimeoutError);
  CHECK_FALSE(slow->ready());
  slow->kill();
}
