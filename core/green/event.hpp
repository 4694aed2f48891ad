// Event and AsyncResult: one-shot notifications between greenlets (gevent.event).
// Event is a flag; setting it wakes every greenlet waiting on it, in the order they
// started waiting. AsyncResult<T> is an Event that also carries a value or an
// exception from one greenlet to any number of others (a future).
#pragma once

#include <deque>
#include <exception>
#include <optional>
#include <utility>

#include "green/exceptions.hpp"

namespace green {

class Waiter;

class Event {
 public:
  Event() = default;
  // No greenlet may still be waiting on it.
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const noexcept { return flag_; }
  bool ready() const noexcept { return flag_; }

  // Sets the flag and wakes every waiter (FIFO). Never blocks: callable from hub
  // callbacks. Waiters woken here return true even if clear() runs before they do.
  void set();
  // Resets the flag; later wait() calls block again.
  void clear() noexcept { flag_ = false; }

  // Blocks until the flag is set, for at most `timeout` seconds. true: it was set
  // (before the call or while waiting); false: the timeout expired. A kill or
  // Timeout while blocked unwinds with the waiter removed.
  bool wait(std::optional<double> timeout = {});

 private:
  bool flag_ = false;
  std::deque<Waiter*> waiters_;
};

// What every AsyncResult<T> shares: readiness, the stored exception, waiting.
class AsyncResultBase {
 public:
  AsyncResultBase() = default;
  AsyncResultBase(const AsyncResultBase&) = delete;
  AsyncResultBase& operator=(const AsyncResultBase&) = delete;

  // ready(): set() or set_exception() was called. successful(): ready, no exception.
  bool ready() const noexcept { return event_.is_set(); }
  bool successful() const noexcept { return ready() && !error_; }
  std::exception_ptr exception() const noexcept { return error_; }

  // Blocks until ready, for at most `timeout` seconds; false on timeout. Does not
  // rethrow the stored exception (get() does).
  bool wait(std::optional<double> timeout = {}) { return event_.wait(timeout); }

  // Stores `error` (replacing any earlier value) and wakes the waiters. Never blocks.
  void set_exception(std::exception_ptr error);

 protected:
  ~AsyncResultBase() = default;
  // Waits for readiness (TimeoutError on expiry), then rethrows the stored error.
  void wait_ready(std::optional<double> timeout);
  void wait_ready_nowait() const;
  void clear_error() noexcept { error_ = nullptr; }
  void notify() { event_.set(); }

 private:
  Event event_;
  std::exception_ptr error_;
};

// A value (or an exception) delivered once from one greenlet to its waiters. A later
// set()/set_exception() replaces the earlier outcome (gevent's semantics); waiters
// already released keep what they read.
template <class T>
class AsyncResult : public AsyncResultBase {
 public:
  // Stores the value and wakes every waiter (FIFO). Never blocks.
  void set(T value) {
    value_.emplace(std::move(value));
    clear_error();
    notify();
  }
  void set_exception(std::exception_ptr error) {
    value_.reset();
    AsyncResultBase::set_exception(std::move(error));
  }

  // Blocks until ready, for at most `timeout` seconds, then returns the value or
  // rethrows the stored exception. Expiry throws TimeoutError (source() == nullptr).
  T get(std::optional<double> timeout = {}) {
    wait_ready(timeout);
    return *value_;
  }
  // get() without blocking: TimeoutError if not ready.
  T get_nowait() const {
    wait_ready_nowait();
    return *value_;
  }
  // The value, once set successfully; empty otherwise.
  const std::optional<T>& value() const noexcept { return value_; }

 private:
  std::optional<T> value_;
};

template <>
class AsyncResult<void> : public AsyncResultBase {
 public:
  void set() {
    clear_error();
    notify();
  }
  void get(std::optional<double> timeout = {}) { wait_ready(timeout); }
  void get_nowait() const { wait_ready_nowait(); }
};

}  // namespace green
