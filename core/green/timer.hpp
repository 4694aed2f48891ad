// One-shot timers on the hub's clock. The callback runs on the hub (it must not
// block: record, wake, return). Timers with equal deadlines fire in arming order,
// so runs are deterministic. The building block of sleep, Timeout and timed waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace green {

class Hub;

class Timer {
 public:
  // Binds to `hub` (default: this thread's hub). Not armed until start().
  explicit Timer(std::function<void()> on_expiry);
  Timer(Hub& hub, std::function<void()> on_expiry);
  ~Timer();  // cancels
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Arms (or re-arms) the timer `seconds` from the hub's now(); negative means 0.
  void start(double seconds);
  void cancel() noexcept;
  bool pending() const noexcept { return heap_index_ != kNotQueued; }
  double deadline() const noexcept { return deadline_; }
  // An unref'd timer does not keep the loop alive (no LoopExit prevention).
  void set_ref(bool ref) noexcept;
  Hub& hub() const noexcept { return *hub_; }

 private:
  friend class TimerHeap;
  static constexpr std::size_t kNotQueued = static_cast<std::size_t>(-1);

  Hub* hub_;
  std::function<void()> on_expiry_;
  double deadline_ = 0;
  std::uint64_t sequence_ = 0;
  std::size_t heap_index_ = kNotQueued;
  bool ref_ = true;
};

}  // namespace green
