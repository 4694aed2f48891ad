// Timeout: a hub Timer that throws into the greenlet that armed it.
#include "green/timeout.hpp"

#include <cstdio>
#include <string>

#include "green/greenlet.hpp"
#include "green/hub.hpp"

namespace green {

std::string TimeoutError::what() const {
  char text[64];
  std::snprintf(text, sizeof text, "timed out after %g seconds", seconds_);
  return text;
}

Timeout::Timeout(std::optional<double> seconds, bool start_now)
    : Timeout(seconds, std::exception_ptr(), start_now) {}

Timeout::Timeout(std::optional<double> seconds, std::exception_ptr error, bool start_now)
    : seconds_(seconds), error_(std::move(error)), timer_([this] { fire(); }) {
  if (start_now) start();
}

Timeout::~Timeout() {
  cancel();
}

void Timeout::start() {
  owner_ = &getcurrent();
  if (seconds_) timer_.start(*seconds_);
}

void Timeout::cancel() noexcept {
  timer_.cancel();
}

void Timeout::fire() {
  if (owner_ == nullptr || owner_->dead()) return;
  std::exception_ptr error =
      error_ ? error_ : std::make_exception_ptr(TimeoutError(seconds_.value_or(0), this));
  timer_.hub().throw_into(*owner_, error);
}

}  // namespace green
