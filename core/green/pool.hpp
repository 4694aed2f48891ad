// Pool: a Group bounded to `size` members (gevent.pool.Pool = Group + Semaphore).
// spawn()/add() block while it is full, so at most `size` of its greenlets run at
// once; a slot is freed when a member dies (its links run) or is discarded. Destroy
// it only when no greenlet waits in its spawn/add/wait_available (kill those first).
#pragma once

#include <cstddef>
#include <optional>

#include "green/exceptions.hpp"
#include "green/group.hpp"
#include "green/semaphore.hpp"

namespace green {

class Pool : public Group {
 public:
  // size >= 1 (UsageError otherwise).
  explicit Pool(std::size_t size);

  // The bound; size() (from Group) is the current number of members.
  std::size_t capacity() const noexcept { return capacity_; }
  // Slots a spawn() could take now without blocking.
  std::size_t free_count() const noexcept { return slots_.counter(); }
  bool full() const override { return free_count() == 0; }
  // Waits up to `timeout` seconds until a slot is free (without taking it);
  // returns free_count() then. Waiters are served in turn with blocked spawners.
  std::size_t wait_available(std::optional<double> timeout = {}) { return slots_.wait(timeout); }

  // Takes a slot (waiting FIFO while full) and adds the greenlet. A member is
  // added once. blocking=false or an expired timeout throws Full.
  void add(Greenlet::Ptr greenlet) override { add(std::move(greenlet), true); }
  void add(Greenlet::Ptr greenlet, bool blocking, std::optional<double> timeout = {});

 private:
  void on_removed() override;  // frees the member's slot

  std::size_t capacity_;
  Semaphore slots_;
};

}  // namespace green
