// The seeds' events: an Event that a setter sets after 3 seconds, releasing three
// waiters at once, and AsyncResult carrying "Hello!" (or nothing: "I live") from a
// setter to a waiter — the future the seed describes.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "green/event.hpp"
#include "green/green.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

TEST_CASE("setting an Event after 3 seconds wakes all three waiters", "[seeds][event]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Event evt;
  Printed print;
  auto setter = [&] {
    print("A: Hey wait for me, I have to do something");
    green::sleep(3);
    print("Ok, I'm done");
    evt.set();
  };
  auto waiter = [&] {
    print("I'll wait for you");
    evt.wait();  // blocking
    print("It's about time", hub.now());
  };
  green::joinall(
      {green::spawn(setter), green::spawn(waiter), green::spawn(waiter), green::spawn(waiter)});
  CHECK(print.lines == Lines{"A: Hey wait for me, I have to do something", "I'll wait for you",
                             "I'll wait for you", "I'll wait for you", "Ok, I'm done",
                             "It's about time 3", "It's about time 3", "It's about time 3"});
  CHECK(evt.is_set());
}

TEST_CASE("AsyncResult hands Hello! from the setter to the waiter", "[seeds][event]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::AsyncResult<std::string> a;
  Printed print;
  auto setter = [&] {
    // After 3 seconds set the result of a.
    green::sleep(3);
    a.set("Hello!");
  };
  auto waiter = [&] {
    // After 3 seconds the get call will unblock after the setter puts a value in.
    print(a.get());
    CHECK(hub.now() == 3.0);
  };
  green::joinall({green::spawn(setter), green::spawn(waiter)});
  CHECK(print.lines == Lines{"Hello!"});
  CHECK(a.successful());
  CHECK(a.value() == "Hello!");
}

TEST_CASE("AsyncResult set without a value wakes the waiter: I live", "[seeds][event]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::AsyncResult<void> a;
  Printed print;
  auto setter = [&] {
    green::sleep(3);
    a.set();
  };
  auto waiter = [&] {
    a.get();
    print("I live");
  };
  green::joinall({green::spawn(setter), green::spawn(waiter)});
  CHECK(print.lines == Lines{"I live"});
  CHECK(hub.now() == 3.0);
}

TEST_CASE("AsyncResult as a future: an exception, a timeout", "[seeds][event]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::AsyncResult<int> a;
  CHECK_THROWS_AS(a.get(1), green::TimeoutError);  // nobody sets it within 1 s
  CHECK(hub.now() == 1.0);
  auto setter = green::spawn([&] {
    green::sleep(2);
    a.set_exception(std::make_exception_ptr(std::runtime_error("no time today")));
  });
  CHECK_THROWS_WITH(a.get(), "no time today");
  CHECK(hub.now() == 3.0);
  CHECK(a.ready());
  CHECK_FALSE(a.successful());
  setter->join();
}
