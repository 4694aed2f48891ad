// Timer and the hub's timer heap.
#include "green/timer.hpp"

#include <utility>

#include "green/detail/timer_heap.hpp"
#include "green/hub.hpp"

namespace green {

Timer::Timer(std::function<void()> on_expiry) : Timer(Hub::current(), std::move(on_expiry)) {}

Timer::Timer(Hub& hub, std::function<void()> on_expiry)
    : hub_(&hub), on_expiry_(std::move(on_expiry)) {}

Timer::~Timer() {
  cancel();
}

void Timer::start(double seconds) {
  if (seconds < 0) seconds = 0;
  if (pending()) {
    hub_->timers_->reschedule(*this, hub_->now() + seconds);  // one sift, not two
  } else {
    hub_->timers_->push(*this, hub_->now() + seconds);
  }
}

void Timer::cancel() noexcept {
  if (pending()) hub_->timers_->remove(*this);
}

void Timer::set_ref(bool ref) noexcept {
  if (ref == ref_) return;
  if (pending()) hub_->timers_->adjust_ref(ref ? 1 : -1);
  ref_ = ref;
}

void TimerHeap::push(Timer& timer, double deadline) {
  timer.deadline_ = deadline;
  timer.sequence_ = next_sequence_++;
  heap_.push_back(&timer);
  timer.heap_index_ = heap_.size() - 1;
  sift_up(timer.heap_index_);
  if (timer.ref_) ++referenced_;
}

void TimerHeap::reschedule(Timer& timer, double deadline) noexcept {
  const bool later = deadline >= timer.deadline_;  // with a new sequence: never earlier
  timer.deadline_ = deadline;
  timer.sequence_ = next_sequence_++;
  if (later) {
    sift_down(timer.heap_index_);
  } else {
    sift_up(timer.heap_index_);
  }
}

void TimerHeap::remove(Timer& timer) noexcept {
  std::size_t index = timer.heap_index_;
  Timer* last = heap_.back();
  heap_.pop_back();
  timer.heap_index_ = Timer::kNotQueued;
  if (timer.ref_) --referenced_;
  if (last == &timer) return;
  place(index, last);
  sift_up(index);
  sift_down(last->heap_index_);
}

void TimerHeap::fire_due(double now) {
  // One at a time, so a callback may cancel or destroy any other timer. Timers
  // armed by these callbacks (sequence >= limit) wait for the next turn, so a
  // zero-delay re-arming loop cannot starve I/O. Ordering by (deadline, sequence)
  // puts every older due timer before any newly armed one.
  const std::uint64_t limit = next_sequence_;
  while (!heap_.empty()) {
    Timer* timer = heap_.front();
    if (timer->deadline_ > now || timer->sequence_ >= limit) break;
    remove(*timer);
    Hub& hub = timer->hub();
    try {
      timer->on_expiry_();
    } catch (...) {
      // Like any hub callback: reported, never allowed to stop the loop.
      hub.handle_error(hub.current_greenlet(), std::current_exception());
    }
  }
}

void TimerHeap::sift_up(std::size_t index) noexcept {
  Timer* timer = heap_[index];
  while (index > 0) {
    std::size_t parent = (index - 1) / 2;
    if (!before(timer, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, timer);
}

void TimerHeap::sift_down(std::size_t index) noexcept {
  Timer* timer = heap_[index];
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], timer)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, timer);
}

}  // namespace green
