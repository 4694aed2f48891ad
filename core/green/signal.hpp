// signal_handler: run a function in a new greenlet each time the process receives a
// signal (gevent.signal_handler). The signal is caught by libevent on the hub's
// loop, so the function runs as ordinary greenlet code: it may block, sleep, kill
// other greenlets; nothing of it runs in async-signal context.
#pragma once

#include <functional>
#include <memory>

namespace green {

class Hub;

// The registration returned by signal_handler(). Move-only; destroying it cancels.
class SignalHandler {
 public:
  SignalHandler() noexcept;  // inactive
  ~SignalHandler();
  SignalHandler(SignalHandler&& other) noexcept;
  SignalHandler& operator=(SignalHandler&& other) noexcept;
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  // Stops future deliveries from starting the function (greenlets already started
  // run on). When the last handler of a signal is cancelled, the signal's previous
  // disposition is restored. Idempotent.
  void cancel() noexcept;
  bool active() const noexcept { return state_ != nullptr; }
  int signum() const noexcept;

 private:
  struct State;
  friend SignalHandler signal_handler(int signum, std::function<void()> fn);
  // libevent's callback, on the hub: starts the greenlet and returns.
  static void dispatch(int fd, short what, void* state) noexcept;
  std::unique_ptr<State> state_;
};

// Calls fn() in a new greenlet (named "signal_handler(SIGxxx)") each time `signum`
// is delivered, until the returned handle is cancelled or destroyed. An exception
// escaping fn is stored on that greenlet and reported by the hub's error handler.
//
// Contracts:
// - Like gevent's, the watch does NOT keep the loop alive: a greenlet whose only
//   hope is a signal gets LoopExit. Something else must keep the hub busy (work,
//   a server, a timed wait, sleep).
// - Several handlers may watch one signal; each delivery runs each of them. A
//   burst of deliveries before the hub polls may be coalesced by the kernel.
// - Binds to this thread's hub and must not outlive it. libevent delivers signals
//   to one event_base per process: use one hub's handlers at a time.
// - SIGKILL, SIGSTOP and out-of-range numbers throw UsageError.
[[nodiscard]] SignalHandler signal_handler(int signum, std::function<void()> fn);

}  // namespace green
