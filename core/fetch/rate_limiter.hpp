// --rate: at most N request starts per interval, over the whole run. A token bucket
// on the hub's clock (GCRA form: each start books the next free slot), so waiting
// greenlets start in FIFO order, 1/rate apart, and tests can run it on a
// virtual-clock hub.
#pragma once

#include <cstdint>

namespace gfetch {

class RateLimiter {
 public:
  // `per_second` starts per second (> 0); `burst` starts may go back to back after
  // an idle period (1: strictly evenly spaced).
  explicit RateLimiter(double per_second, std::uint32_t burst = 1);

  // Suspends the calling greenlet until it may start a request. Only from a
  // greenlet. A kill or Timeout during the wait gives up the booked slot's turn
  // (the slot itself is not reused: the rate stays an upper bound).
  void acquire();
  // The delay acquire() would book now, without booking (for tests and progress).
  double delay() const;
  double interval() const noexcept { return interval_; }

 private:
  double interval_;       // seconds between starts
  double burst_span_;     // how far back the schedule may lag behind now
  double next_ = -1e300;  // hub time of the next free slot
};

}  // namespace gfetch
