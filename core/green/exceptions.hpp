// The exceptions of green's API. Cancellation (GreenletExit) and expiry (TimeoutError)
// are thrown *into* greenlets and deliberately do not derive from std::exception, so
// `catch (const std::exception&)` in user code cannot swallow them by accident.
#pragma once

#include <stdexcept>
#include <string>

namespace green {

class Timeout;

// Thrown into a greenlet by Greenlet::kill(). A greenlet that ends with it counts as
// successful (gevent's semantics): it was asked to stop and it did.
struct GreenletExit {};

// Thrown into the greenlet that armed a green::Timeout when it expires. `source()`
// identifies the Timeout that fired (compare with `&my_timeout`; never dereference).
class TimeoutError {
 public:
  TimeoutError(double seconds, const Timeout* source) : seconds_(seconds), source_(source) {}
  double seconds() const { return seconds_; }
  const Timeout* source() const { return source_; }
  std::string what() const;

 private:
  double seconds_;
  const Timeout* source_;
};

// A blocking wait that nothing can ever wake: the hub ran out of ready work, timers
// and watched fds. Raised in the main greenlet (gevent's LoopExit).
class LoopExit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Queue::get_nowait on an empty queue / get(timeout) that expired.
class Empty : public std::runtime_error {
 public:
  Empty() : std::runtime_error("green: queue is empty") {}
};

// Queue::put_nowait on a full queue / put(timeout) that expired.
class Full : public std::runtime_error {
 public:
  Full() : std::runtime_error("green: queue is full") {}
};

// Misuse of the API (a blocking call from a hub callback, over-release of a
// BoundedSemaphore, ...).
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace green
