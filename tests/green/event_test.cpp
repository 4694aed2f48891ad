// green::Event: set/clear/wait, FIFO wake of every waiter, timeouts, kills and
// Timeouts while waiting, waiting from main and from hub callbacks.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "green/event.hpp"
#include "green/green.hpp"

namespace {
green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("Event wait returns at once when already set", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  CHECK_FALSE(event.is_set());
  event.set();
  CHECK(event.is_set());
  CHECK(event.ready());
  CHECK(event.wait());
  CHECK(event.wait(0));
  CHECK(hub.now() == 0);
  event.clear();
  CHECK_FALSE(event.is_set());
}

TEST_CASE("Event set wakes every waiter in FIFO order", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  std::vector<std::string> log;
  auto waiter = [&](std::string name) {
    log.push_back(name + " waits");
    bool result = event.wait();
    log.push_back(name + " woke " + (result ? "true" : "false"));
  };
  auto a = green::spawn(waiter, std::string("a"));
  auto b = green::spawn(waiter, std::string("b"));
  auto c = green::spawn(waiter, std::string("c"));
  auto setter = green::spawn([&] {
    green::sleep(2);
    log.push_back("set");
    event.set();
  });
  green::joinall(green::greenlets(a, b, c, setter));
  CHECK(log == std::vector<std::string>{"a waits", "b waits", "c waits", "set", "a woke true",
                                        "b woke true", "c woke true"});
  CHECK(hub.now() == 2);
}

TEST_CASE("Event waiters woken by set return true even if cleared before they run", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  std::vector<bool> results;
  auto a = green::spawn([&] { results.push_back(event.wait()); });
  auto b = green::spawn([&] { results.push_back(event.wait(5)); });
  green::sleep(1);
  event.set();
  event.clear();
  green::joinall(green::greenlets(a, b));
  CHECK(results == std::vector<bool>{true, true});
  CHECK_FALSE(event.is_set());
  CHECK(hub.now() == 1);
}

TEST_CASE("Event wait with a timeout returns false at the exact deadline", "[event][timeout]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  CHECK_FALSE(event.wait(0.25));
  CHECK(hub.now() == Approx(0.25));
  // The timed-out waiter is gone: a later set wakes only the new one.
  bool late = false;
  auto g = green::spawn([&] { late = event.wait(); });
  green::sleep(0);
  event.set();
  g->join();
  CHECK(late);
}

TEST_CASE("Event wait with timeout 0 when unset fails without hanging", "[event][timeout]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  CHECK_FALSE(event.wait(0));
  CHECK(hub.now() == 0);
}

TEST_CASE("Event waiter killed while waiting is removed and others still wake", "[event][kill]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  bool victim_returned = false;
  bool survivor_woke = false;
  auto victim = green::spawn([&] {
    event.wait();
    victim_returned = true;
  });
  auto survivor = green::spawn([&] { survivor_woke = event.wait(); });
  green::sleep(1);
  victim->kill();
  CHECK(victim->dead());
  CHECK(victim->killed());
  CHECK(victim->successful());
  event.set();
  survivor->join();
  CHECK(survivor_woke);
  CHECK_FALSE(victim_returned);
}

TEST_CASE("Event waiter killed after set woke it but before it ran unwinds cleanly",
          "[event][kill]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  bool returned = false;
  auto g = green::spawn([&] {
    event.wait();
    returned = true;
  });
  green::sleep(0);
  event.set();
  g->kill();
  CHECK(g->dead());
  CHECK_FALSE(returned);
  CHECK(event.wait());
}

TEST_CASE("Event wait inside a green Timeout throws TimeoutError and leaves no waiter",
          "[event][timeout]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  bool timed_out = false;
  try {
    green::Timeout timeout(1.5);
    event.wait();
  } catch (const green::TimeoutError& e) {
    timed_out = e.seconds() == 1.5;
  }
  CHECK(timed_out);
  CHECK(hub.now() == Approx(1.5));
  auto setter = green::spawn([&] { event.set(); });
  CHECK(event.wait());
  setter->join();
}

TEST_CASE("Event set from a hub callback wakes the main greenlet", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  green::Timer timer(hub, [&] { event.set(); });
  timer.start(3);
  CHECK(event.wait());
  CHECK(hub.now() == 3);
}

TEST_CASE("Event wait from a hub callback is a usage error", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  bool usage_error = false;
  hub.run_callback([&] {
    try {
      event.wait();
    } catch (const green::UsageError&) {
      usage_error = true;
    }
  });
  green::sleep(0);
  CHECK(usage_error);
}

TEST_CASE("Event wait that nothing can satisfy raises LoopExit in main", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event event;
  CHECK_THROWS_AS(event.wait(), green::LoopExit);
  event.set();  // no stale waiter left behind
  CHECK(event.wait());
}

TEST_CASE("Event can be set, cleared and waited on repeatedly", "[event]") {
  green::Hub hub(virtual_clock());
  green::Event ping;
  green::Event pong;
  std::vector<int> log;
  auto player = green::spawn([&] {
    for (int i = 0; i < 3; ++i) {
      ping.wait();
      ping.clear();
      log.push_back(i);
      pong.set();
    }
  });
  for (int i = 0; i < 3; ++i) {
    green::sleep(1);
    ping.set();
    pong.wait();
    pong.clear();
  }
  player->join();
  CHECK(log == std::vector<int>{0, 1, 2});
  CHECK(hub.now() == 3);
}
