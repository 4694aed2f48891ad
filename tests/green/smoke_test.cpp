// Smoke tests of the scheduler core: spawn/join, sleep(0) order, virtual clock.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "green/green.hpp"

TEST_CASE("foo/bar switch order through sleep(0)", "[greenlet]") {
  green::Hub hub;
  std::vector<std::string> log;
  auto foo = green::spawn([&] {
    log.push_back("running in foo");
    green::sleep(0);
    log.push_back("back in foo");
  });
  auto bar = green::spawn([&] {
    log.push_back("running in bar");
    green::sleep(0);
    log.push_back("back in bar");
  });
  green::joinall({foo, bar});
  CHECK(log ==
        std::vector<std::string>{"running in foo", "running in bar", "back in foo", "back in bar"});
}

TEST_CASE("virtual clock makes sleeps exact", "[hub]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  double start = hub.now();
  std::vector<int> order;
  auto a = green::spawn([&] {
    green::sleep(0.3);
    order.push_back(3);
  });
  auto b = green::spawn([&] {
    green::sleep(0.1);
    order.push_back(1);
  });
  auto c = green::spawn([&] {
    green::sleep(0.2);
    order.push_back(2);
    return 42;
  });
  green::joinall({a, b, c});
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(hub.now() - start == Approx(0.3));
  CHECK(c->get() == 42);
}

TEST_CASE("exceptions cross switches inside catch blocks", "[context]") {
  green::Hub hub;
  std::vector<std::string> seen;
  auto thrower = [&](std::string name) {
    try {
      throw std::runtime_error(name);
    } catch (const std::runtime_error& e) {
      green::sleep(0);
      CHECK(std::uncaught_exceptions() == 0);
      seen.push_back(e.what());
      try {
        throw;
      } catch (const std::runtime_error& again) {
        seen.push_back(std::string("re-") + again.what());
      }
    }
  };
  auto a = green::spawn(thrower, std::string("a"));
  auto b = green::spawn(thrower, std::string("b"));
  green::joinall({a, b});
  CHECK(seen == std::vector<std::string>{"a", "re-a", "b", "re-b"});
}

TEST_CASE("Timeout throws into the greenlet that armed it", "[timeout]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  bool timed_out = false;
  try {
    green::Timeout timeout(0.5);
    green::sleep(10);
  } catch (const green::TimeoutError& e) {
    timed_out = true;
    CHECK(e.seconds() == 0.5);
  }
  CHECK(timed_out);
  CHECK(hub.now() == Approx(0.5));
}

TEST_CASE("kill delivers GreenletExit and an unstarted greenlet never runs", "[greenlet]") {
  green::Hub hub;
  bool ran = false;
  auto never = green::make_greenlet([&] { ran = true; });
  never->start();
  never->kill();
  auto sleeper = green::spawn([] { green::sleep(100); });
  green::sleep(0);
  sleeper->kill();
  CHECK(sleeper->dead());
  CHECK(sleeper->successful());
  CHECK(never->dead());
  green::sleep(0);
  CHECK_FALSE(ran);
}

TEST_CASE("LoopExit when nothing can wake the main greenlet", "[hub]") {
  green::Hub hub;
  green::Waiter waiter;
  CHECK_THROWS_AS(waiter.wait(), green::LoopExit);
}
