// Tests of green::signal_handler with real signals raised at our own process: the
// function runs in a new greenlet, cancel/RAII stop delivery, the watch does not
// keep the loop alive, and the seeds' "SIGQUIT/SIGINT shuts the workers down".
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "green/event.hpp"
#include "green/green.hpp"
#include "green/group.hpp"
#include "green/signal.hpp"

namespace {

// Raises `signum` at ourselves from a greenlet of its own (so the raise, too, is
// ordinary greenlet code).
green::Greenlet::Ptr raise_from_greenlet(int signum) {
  return green::spawn([signum] { REQUIRE(::kill(::getpid(), signum) == 0); });
}

}  // namespace

TEST_CASE("signal_handler runs its function in a new greenlet", "[signal]") {
  green::Hub hub;
  green::Event handled;
  green::Greenlet* ran_in = nullptr;
  std::string name;
  green::SignalHandler handler = green::signal_handler(SIGUSR1, [&] {
    ran_in = &green::getcurrent();
    name = ran_in->name();
    green::sleep(0.01);  // an ordinary greenlet: it may block
    handled.set();
  });
  CHECK(handler.active());
  CHECK(handler.signum() == SIGUSR1);
  auto raiser = raise_from_greenlet(SIGUSR1);
  REQUIRE(handled.wait(5.0));  // the timed wait keeps the loop alive meanwhile
  CHECK(ran_in != nullptr);
  CHECK(ran_in != &hub.main_greenlet());
  CHECK(ran_in != raiser.get());
  CHECK(name == "signal_handler(SIGUSR1)");
}

TEST_CASE("each delivery starts the function again", "[signal]") {
  green::Hub hub;
  int calls = 0;
  green::Event handled;
  green::SignalHandler handler = green::signal_handler(SIGUSR1, [&] {
    ++calls;
    handled.set();
  });
  for (int round = 1; round <= 3; ++round) {
    handled.clear();
    raise_from_greenlet(SIGUSR1);
    REQUIRE(handled.wait(5.0));
    CHECK(calls == round);
  }
}

TEST_CASE("cancel stops delivery to that handler only", "[signal]") {
  green::Hub hub;
  // Two handlers on one signal: the kept one proves the signal was dispatched (and
  // keeps the default action, process termination, away).
  int cancelled_calls = 0;
  green::Event kept_ran;
  green::SignalHandler cancelled = green::signal_handler(SIGUSR2, [&] { ++cancelled_calls; });
  green::SignalHandler kept = green::signal_handler(SIGUSR2, [&] { kept_ran.set(); });
  cancelled.cancel();
  CHECK_FALSE(cancelled.active());
  cancelled.cancel();  // idempotent
  raise_from_greenlet(SIGUSR2);
  REQUIRE(kept_ran.wait(5.0));
  green::sleep(0);  // greenlets started by the same dispatch ran before us: none did
  CHECK(cancelled_calls == 0);
}

TEST_CASE("destroying the handle cancels the handler", "[signal]") {
  green::Hub hub;
  int scoped_calls = 0;
  green::Event kept_ran;
  green::SignalHandler kept = green::signal_handler(SIGUSR1, [&] { kept_ran.set(); });
  {
    green::SignalHandler scoped = green::signal_handler(SIGUSR1, [&] { ++scoped_calls; });
    green::SignalHandler moved = std::move(scoped);  // the registration moves along
    CHECK_FALSE(scoped.active());
    CHECK(moved.active());
  }
  raise_from_greenlet(SIGUSR1);
  REQUIRE(kept_ran.wait(5.0));
  green::sleep(0);
  CHECK(scoped_calls == 0);
}

TEST_CASE("a signal watch alone does not keep the loop alive", "[signal]") {
  green::Hub hub;
  green::SignalHandler handler = green::signal_handler(SIGUSR1, [] {});
  green::Waiter nothing_else;
  CHECK_THROWS_AS(nothing_else.wait(), green::LoopExit);
}

TEST_CASE("an exception escaping the function is reported and delivery goes on", "[signal]") {
  green::Hub hub;
  std::vector<std::string> reported;
  hub.set_error_handler([&](green::Greenlet& greenlet, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      reported.push_back(greenlet.name() + ": " + e.what());
    }
  });
  int calls = 0;
  green::Event handled;
  green::SignalHandler handler = green::signal_handler(SIGUSR1, [&] {
    ++calls;
    handled.set();
    throw std::runtime_error("handler failed");
  });
  for (int round = 1; round <= 2; ++round) {
    handled.clear();
    raise_from_greenlet(SIGUSR1);
    REQUIRE(handled.wait(5.0));
    green::sleep(0);  // the hub reports the failure before we resume
    CHECK(reported.size() == static_cast<std::size_t>(round));
  }
  CHECK(calls == 2);
  CHECK(reported == std::vector<std::string>{"signal_handler(SIGUSR1): handler failed",
                                             "signal_handler(SIGUSR1): handler failed"});
}

TEST_CASE("uncatchable signals are a usage error", "[signal]") {
  green::Hub hub;
  CHECK_THROWS_AS(green::signal_handler(SIGKILL, [] {}), green::UsageError);
  CHECK_THROWS_AS(green::signal_handler(SIGSTOP, [] {}), green::UsageError);
  CHECK_THROWS_AS(green::signal_handler(0, [] {}), green::UsageError);
  CHECK_THROWS_AS(green::signal_handler(SIGUSR1, {}), green::UsageError);
}

namespace {

// The seeds' shutdown pattern: `gevent.signal(signal.SIGQUIT, gevent.shutdown)`
// with workers that would run for 1000 s. The handler kills every worker of the
// group; the main greenlet's wait on the group returns.
void shutdown_on(int signum) {
  green::Hub hub;
  green::Group workers;
  int started = 0;
  for (int i = 0; i < 5; ++i) {
    workers.spawn([&] {
      ++started;
      green::sleep(1000);  // run_forever
    });
  }
  green::SignalHandler on_quit = green::signal_handler(SIGQUIT, [&] { workers.kill(); });
  green::SignalHandler on_int = green::signal_handler(SIGINT, [&] { workers.kill(); });
  auto operator_presses_key = green::spawn([signum] {
    green::sleep(0.05);
    REQUIRE(::kill(::getpid(), signum) == 0);
  });
  double start = hub.now();
  CHECK(workers.join(10.0));  // returns because the signal killed them
  CHECK(workers.empty());
  CHECK(started == 5);
  CHECK(hub.now() - start >= 0.05);
  CHECK(hub.now() - start < 10.0);
}

}  // namespace

TEST_CASE("SIGQUIT handler kills the workers and the main wait returns", "[signal][seeds]") {
  shutdown_on(SIGQUIT);
}

TEST_CASE("SIGINT handler kills the workers and the main wait returns", "[signal][seeds]") {
  shutdown_on(SIGINT);
}
