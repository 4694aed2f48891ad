// Semaphores and locks between greenlets (gevent.lock): Semaphore, BoundedSemaphore,
// Lock, RLock, and SemaphoreGuard for scoped holding. A released permit goes straight
// to the longest-waiting greenlet (FIFO, no barging), so runs are deterministic.
// Each also meets std's Lockable/TimedLockable: std::lock_guard, std::unique_lock work.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>

#include "green/exceptions.hpp"

namespace green {

class Greenlet;

class Semaphore {
 public:
  explicit Semaphore(std::size_t value = 1) : counter_(value) {}
  // No greenlet may still be waiting on it.
  ~Semaphore();
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Takes a permit. Without one free: blocking=false returns false at once;
  // otherwise waits up to `timeout` seconds (false on expiry). Waiters are served
  // in arrival order. A kill or Timeout while waiting never loses a permit.
  bool acquire(bool blocking = true, std::optional<double> timeout = {});
  bool acquire(double) = delete;  // acquire(seconds) would mean blocking=true
  // Returns a permit: to the first waiter if any, else to the counter. Never
  // blocks; callable from hub callbacks. BoundedSemaphore: UsageError if it would
  // exceed the initial value.
  void release();

  // Free permits. locked(): none free (acquire would block).
  std::size_t counter() const noexcept { return counter_; }
  bool locked() const noexcept { return counter_ == 0; }
  // Waits, up to `timeout`, until a permit is free without taking it; returns
  // counter() then. Queued with acquirers: woken in its turn when one is released.
  std::size_t wait(std::optional<double> timeout = {});

  // std Lockable / TimedLockable.
  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& duration) {
    return acquire(true, std::chrono::duration<double>(duration).count());
  }

 protected:
  Semaphore(std::size_t value, std::size_t bound) : counter_(value), bound_(bound) {}

 private:
  struct Node;
  // Gives one permit to the first live acquirer (waking wait()-only nodes before
  // it), or adds it to the counter.
  void hand_on() noexcept;
  std::size_t counter_;
  std::optional<std::size_t> bound_;
  std::deque<Node*> waiters_;
};

// A Semaphore whose release() throws UsageError when no permit is held.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::size_t value = 1) : Semaphore(value, value) {}
};

// A mutual-exclusion lock not tied to its holder (gevent.lock.Lock): any greenlet
// may release it; releasing an unlocked Lock throws UsageError.
class Lock : public BoundedSemaphore {
 public:
  Lock() : BoundedSemaphore(1) {}
};

// A re-entrant lock owned by the greenlet holding it (gevent.lock.RLock): the owner
// may acquire it again; it is free after as many release() calls. Only the owner
// may release (UsageError otherwise).
class RLock {
 public:
  RLock() = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  bool acquire(bool blocking = true, std::optional<double> timeout = {});
  bool acquire(double) = delete;
  void release();
  bool locked() const noexcept { return count_ > 0 || permit_.locked(); }
  // The calling greenlet holds it.
  bool is_owned() const;

  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }
  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& duration) {
    return acquire(true, std::chrono::duration<double>(duration).count());
  }

 private:
  Semaphore permit_{1};
  std::weak_ptr<Greenlet> owner_;  // weak: a dead owner's address may be reused
  std::size_t count_ = 0;
};

// Holds one permit of a Semaphore, BoundedSemaphore, Lock or RLock for a scope:
// `green::SemaphoreGuard guard(sem);` acquires (blocking), the destructor releases.
template <class Acquirable>
class SemaphoreGuard {
 public:
  explicit SemaphoreGuard(Acquirable& semaphore) : semaphore_(semaphore) { semaphore_.acquire(); }
  ~SemaphoreGuard() { semaphore_.release(); }
  SemaphoreGuard(const SemaphoreGuard&) = delete;
  SemaphoreGuard& operator=(const SemaphoreGuard&) = delete;

 private:
  Acquirable& semaphore_;
};

}  // namespace green
