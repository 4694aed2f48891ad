// Waiter: park the bound greenlet, resume it on wake() or on its timer.
#include "green/waiter.hpp"

#include <optional>

#include "green/greenlet.hpp"
#include "green/hub.hpp"
#include "green/timer.hpp"

namespace green {

Waiter::Waiter() : greenlet_(&getcurrent()), hub_(&greenlet_->hub()) {}

bool Waiter::wait(std::optional<double> timeout) {
  if (state_ == State::woken) return true;
  state_ = State::waiting;
  std::optional<Timer> timer;
  if (timeout) {
    timer.emplace(*hub_, [this] {
      if (state_ != State::waiting) return;
      state_ = State::timed_out;
      hub_->schedule(*greenlet_);
    });
    timer->start(*timeout);
  }
  try {
    while (state_ == State::waiting) hub_->park();
  } catch (...) {
    if (state_ == State::waiting) state_ = State::idle;
    throw;
  }
  return state_ == State::woken;
}

void Waiter::wake() noexcept {
  if (state_ == State::woken || state_ == State::timed_out) return;
  bool was_waiting = state_ == State::waiting;
  state_ = State::woken;
  if (was_waiting) hub_->schedule(*greenlet_);
}

}  // namespace green
