// The seeds' program shutdown: gevent.signal(SIGQUIT, gevent.kill / shutdown) while
// the main greenlet joins one that would run (sleep) for 1000 seconds. The signal
// handler runs as a greenlet and ends the sleeper, so the join returns at once.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include "green/green.hpp"
#include "green/group.hpp"
#include "green/signal.hpp"

namespace {

void run_forever() {
  green::sleep(1000);
}

// Sends the signal from a greenlet, as an outside `kill -QUIT <pid>` would.
void send_sigquit() {
  ::kill(getpid(), SIGQUIT);
}

}  // namespace

TEST_CASE("SIGQUIT kills the greenlet the main program joins", "[seeds][signal]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Greenlet::Ptr thread;
  // The handler holds its own reference: kill() waits for the victim to die, and by
  // then the main greenlet may have dropped `thread` (Greenlet::join does not keep
  // the greenlet alive across its wait).
  green::SignalHandler on_quit = green::signal_handler(SIGQUIT, [&] {
    green::Greenlet::Ptr victim = thread;
    victim->kill();
  });
  thread = green::spawn(run_forever);
  green::spawn(send_sigquit);
  thread->join();
  CHECK(thread->dead());
  CHECK(thread->killed());
  CHECK(hub.now() < 1000.0);  // it never slept its 1000 s
}

TEST_CASE("SIGQUIT shuts down every greenlet of a group", "[seeds][signal]") {
  // gevent.shutdown: stop everything, so the program can end.
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Group everything;
  green::SignalHandler on_quit = green::signal_handler(SIGQUIT, [&] { everything.kill(); });
  for (int i = 0; i < 3; ++i) everything.spawn(run_forever);
  green::spawn(send_sigquit);
  CHECK(everything.join());
  CHECK(hub.now() < 1000.0);
  on_quit.cancel();
  CHECK_FALSE(on_quit.active());
}
