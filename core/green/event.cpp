// Event and AsyncResult on Waiter: a FIFO list of parked greenlets, all woken by set().
#include "green/event.hpp"

#include <cassert>

#include "green/waiter.hpp"

namespace green {

Event::~Event() {
  assert(waiters_.empty() && "green::Event destroyed with waiting greenlets");
}

void Event::set() {
  flag_ = true;
  std::deque<Waiter*> waiters = std::exchange(waiters_, {});
  for (Waiter* waiter : waiters) waiter->wake();
}

bool Event::wait(std::optional<double> timeout) {
  if (flag_) return true;
  Waiter waiter;
  waiters_.push_back(&waiter);
  bool woken = false;
  try {
    woken = waiter.wait(timeout);
  } catch (...) {
    if (!waiter.woken()) std::erase(waiters_, &waiter);
    throw;
  }
  if (!woken) std::erase(waiters_, &waiter);
  return woken;
}

void AsyncResultBase::set_exception(std::exception_ptr error) {
  error_ = std::move(error);
  notify();
}

void AsyncResultBase::wait_ready(std::optional<double> timeout) {
  if (!wait(timeout)) throw TimeoutError(timeout.value_or(0), nullptr);
  if (error_) std::rethrow_exception(error_);
}

void AsyncResultBase::wait_ready_nowait() const {
  if (!ready()) throw TimeoutError(0, nullptr);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace green
