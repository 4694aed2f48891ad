// The hub's binary min-heap of armed timers, ordered by (deadline, arming order).
// Internal to green: Timer and Hub use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "green/timer.hpp"

namespace green {

class TimerHeap {
 public:
  void push(Timer& timer, double deadline);
  void remove(Timer& timer) noexcept;
  // A queued timer's new deadline, ordered as if it had been pushed just now.
  void reschedule(Timer& timer, double deadline) noexcept;
  Timer* top() const noexcept { return heap_.empty() ? nullptr : heap_.front(); }
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t referenced() const noexcept { return referenced_; }
  void adjust_ref(int delta) noexcept { referenced_ += static_cast<std::size_t>(delta); }
  // Pops every timer due at `now` and runs its callback (which may re-arm timers).
  void fire_due(double now);

 private:
  static bool before(const Timer* a, const Timer* b) noexcept {
    return a->deadline_ < b->deadline_ ||
           (a->deadline_ == b->deadline_ && a->sequence_ < b->sequence_);
  }
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;
  void place(std::size_t index, Timer* timer) noexcept {
    heap_[index] = timer;
    timer->heap_index_ = index;
  }

  std::vector<Timer*> heap_;
  std::uint64_t next_sequence_ = 0;
  std::size_t referenced_ = 0;
};

}  // namespace green
