// Timeout: a scoped deadline for the greenlet that armed it (gevent.Timeout). When
// it expires it throws TimeoutError (or a custom exception) into that greenlet at
// its current switch point. with_timeout(seconds, fn[, fallback]) wraps a call.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "green/exceptions.hpp"
#include "green/timer.hpp"

namespace green {

class Greenlet;

class Timeout {
 public:
  // `seconds` empty: never fires (gevent's Timeout(None)). start: arm now.
  explicit Timeout(std::optional<double> seconds, bool start = true);
  // Throws `error` instead of TimeoutError when it fires.
  Timeout(std::optional<double> seconds, std::exception_ptr error, bool start = true);
  template <class E,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<E>, std::exception_ptr> &&
                                     !std::is_same_v<std::decay_t<E>, bool>>>
  Timeout(std::optional<double> seconds, E&& error, bool start = true)
      : Timeout(seconds, std::make_exception_ptr(std::forward<E>(error)), start) {}
  ~Timeout();
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;

  // Arms it for the calling greenlet; re-arming restarts the countdown.
  void start();
  void cancel() noexcept;
  bool pending() const noexcept { return timer_.pending(); }
  std::optional<double> seconds() const noexcept { return seconds_; }

 private:
  void fire();

  std::optional<double> seconds_;
  std::exception_ptr error_;
  Greenlet* owner_ = nullptr;
  Timer timer_;
};

// Runs fn(); if `seconds` pass first, returns `fallback` instead.
template <class Fn, class T>
auto with_timeout(double seconds, Fn&& fn, T fallback) -> decltype(fn()) {
  Timeout timeout(seconds);
  try {
    return std::forward<Fn>(fn)();
  } catch (const TimeoutError& e) {
    if (e.source() != &timeout) throw;
    return fallback;
  }
}

// Runs fn(); if `seconds` pass first, the TimeoutError propagates.
template <class Fn>
auto with_timeout(double seconds, Fn&& fn) -> decltype(fn()) {
  Timeout timeout(seconds);
  return std::forward<Fn>(fn)();
}

}  // namespace green
