// Semaphore on Waiter with direct hand-off: release() gives the permit to the first
// waiting acquirer, which owns it from that moment. If that greenlet unwinds (kill,
// Timeout) before it runs, it hands the permit on, so none is ever lost.
#include "green/semaphore.hpp"

#include <cassert>

#include "green/greenlet.hpp"
#include "green/waiter.hpp"

namespace green {

struct Semaphore::Node {
  Waiter waiter;
  bool acquires;  // false: wait() only, takes no permit
};

Semaphore::~Semaphore() {
  assert(waiters_.empty() && "green::Semaphore destroyed with waiting greenlets");
}

bool Semaphore::acquire(bool blocking, std::optional<double> timeout) {
  // A free permit implies no live waiter (hand_on serves them first): no barging.
  if (counter_ > 0) {
    --counter_;
    return true;
  }
  if (!blocking) return false;
  Node node{Waiter(), true};
  waiters_.push_back(&node);
  bool granted = false;
  try {
    granted = node.waiter.wait(timeout);
  } catch (...) {
    if (node.waiter.woken()) {
      hand_on();  // the permit was ours already: pass it on
    } else {
      std::erase(waiters_, &node);
    }
    throw;
  }
  if (!granted) std::erase(waiters_, &node);
  return granted;
}

void Semaphore::release() {
  if (bound_ && counter_ >= *bound_) {
    throw UsageError("green: BoundedSemaphore released more times than acquired");
  }
  hand_on();
}

std::size_t Semaphore::wait(std::optional<double> timeout) {
  if (counter_ > 0) return counter_;
  Node node{Waiter(), false};
  waiters_.push_back(&node);
  bool woken = false;
  try {
    woken = node.waiter.wait(timeout);
  } catch (...) {
    if (!node.waiter.woken()) std::erase(waiters_, &node);
    throw;
  }
  if (!woken) std::erase(waiters_, &node);
  return counter_;
}

void Semaphore::hand_on() noexcept {
  while (!waiters_.empty()) {
    Node* node = waiters_.front();
    waiters_.pop_front();
    // Not waiting: its timeout fired and it has not run yet; it gets nothing.
    if (!node->waiter.waiting()) continue;
    node->waiter.wake();
    if (node->acquires) return;
  }
  ++counter_;
}

bool RLock::acquire(bool blocking, std::optional<double> timeout) {
  if (is_owned()) {
    ++count_;
    return true;
  }
  if (!permit_.acquire(blocking, timeout)) return false;
  owner_ = getcurrent().weak_from_this();
  count_ = 1;
  return true;
}

void RLock::release() {
  if (!is_owned()) throw UsageError("green: RLock released by a greenlet that does not hold it");
  if (--count_ > 0) return;
  owner_.reset();
  permit_.release();
}

bool RLock::is_owned() const {
  return count_ > 0 && owner_.lock().get() == &getcurrent();
}

}  // namespace green
