// Waiter: the one wait/wake primitive under every blocking call in green (gevent's
// Waiter, folly's Baton). One greenlet waits, anyone on the same hub wakes it.
// Wake-ups are FIFO through the hub's ready queue, so runs are deterministic.
#pragma once

#include <cstdint>
#include <optional>

namespace green {

class Greenlet;
class Hub;

class Waiter {
 public:
  // Binds to the calling greenlet (the one that will wait()).
  Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Suspends the bound greenlet until wake(), or `timeout` seconds on the hub
  // clock. true: woken; false: timed out. Returns at once if already woken.
  // Throws whatever is thrown into the greenlet meanwhile (kill, Timeout); the
  // waiter may have been woken too, so a primitive that hands a resource over on
  // wake must check woken() while unwinding and pass the resource on.
  bool wait(std::optional<double> timeout = {});

  // Wakes the waiter; the first call counts, later ones do nothing. Callable from
  // any greenlet or hub callback of the same hub; never blocks, never throws.
  void wake() noexcept;

  bool woken() const noexcept { return state_ == State::woken; }
  bool waiting() const noexcept { return state_ == State::waiting; }
  Greenlet& greenlet() const noexcept { return *greenlet_; }
  // Makes the waiter reusable for another wait() by the same greenlet.
  void reset() noexcept { state_ = State::idle; }

 private:
  enum class State : std::uint8_t { idle, waiting, woken, timed_out };
  Greenlet* greenlet_;
  Hub* hub_;
  State state_ = State::idle;
};

}  // namespace green
