// The seeds' timeouts: a scoped Timeout raising a custom exception (TooLong), a
// Timeout around join(), join(timeout) and get(timeout), with_timeout, and the
// Timeout that fires while a greenlet sleeps exactly as long.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "green/green.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

namespace {

// The seed's `class TooLong(Exception)`.
struct TooLong : std::runtime_error {
  TooLong() : std::runtime_error("TooLong") {}
};

}  // namespace

TEST_CASE("with Timeout(time_to_wait, TooLong): sleep(10) raises TooLong", "[seeds][timeout]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  const double time_to_wait = 5;
  bool too_long = false;
  try {
    green::Timeout timeout(time_to_wait, TooLong{});
    green::sleep(10);
  } catch (const TooLong&) {
    too_long = true;
  }
  CHECK(too_long);
  CHECK(hub.now() == 5.0);
}

TEST_CASE("a started Timeout interrupts the join of a greenlet", "[seeds][timeout]") {
  // The seed: timeout = Timeout(10); timeout.start(); spawn(wait).join() where wait
  // sleeps 10 seconds too. The Timeout was armed first, so it fires first.
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  const double seconds = 10;
  green::Timeout timeout(seconds, false);
  timeout.start();
  auto wait = [] { green::sleep(10); };
  try {
    green::spawn(wait)->join();
  } catch (const green::TimeoutError& e) {
    CHECK(e.source() == &timeout);
    print("Could not complete");
  }
  CHECK(print.lines == Lines{"Could not complete"});
  CHECK(hub.now() == 10.0);
}

TEST_CASE("timeouts on join, on get and with_timeout", "[seeds][timeout]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto wait = [] { green::sleep(2); };

  // thread1.join(timeout=timer), timer = Timeout(1).start()
  auto thread1 = green::spawn(wait);
  try {
    green::Timeout timer(1);
    thread1->join();
  } catch (const green::TimeoutError&) {
    print("Thread 1 timed out");
  }
  CHECK(hub.now() == 1.0);

  // thread2.get(timeout=...): get raises a timeout when it expires.
  auto thread2 = green::spawn(wait);
  try {
    thread2->get(1);
  } catch (const green::TimeoutError&) {
    print("Thread 2 timed out");
  }
  CHECK(hub.now() == 2.0);

  // gevent.with_timeout(1, wait)
  try {
    green::with_timeout(1, wait);
  } catch (const green::TimeoutError&) {
    print("Thread 3 timed out");
  }
  CHECK(hub.now() == 3.0);

  CHECK(print.lines == Lines{"Thread 1 timed out", "Thread 2 timed out", "Thread 3 timed out"});
  CHECK(thread1->ready());  // it slept its 2 s meanwhile, undisturbed
  CHECK(thread2->ready());
}

TEST_CASE("join(timeout) just returns, with the greenlet not ready", "[seeds][timeout]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  auto thread = green::spawn([] { green::sleep(2); });
  thread->join(1);
  CHECK_FALSE(thread->ready());
  CHECK(hub.now() == 1.0);
  thread->join();
  CHECK(thread->successful());
  CHECK(hub.now() == 2.0);
}

TEST_CASE("with_timeout returns the fallback when time runs out", "[seeds][timeout]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  auto slow = [] {
    green::sleep(2);
    return std::string("done");
  };
  CHECK(green::with_timeout(1, slow, std::string("timed out")) == "timed out");
  CHECK(green::with_timeout(3, slow, std::string("timed out")) == "done");
  CHECK(hub.now() == 3.0);
}
