// Pool: membership costs one permit of the pool's Semaphore, from add() to discard().
#include "green/pool.hpp"

#include <utility>

namespace green {

Pool::Pool(std::size_t size) : capacity_(size), slots_(size) {
  if (size == 0) throw UsageError("green: a Pool needs a size of at least 1");
}

void Pool::add(Greenlet::Ptr greenlet, bool blocking, std::optional<double> timeout) {
  if (!greenlet || contains(*greenlet)) return;
  if (!slots_.acquire(blocking, timeout)) throw Full();
  if (contains(*greenlet)) {  // added by another greenlet while this one waited
    slots_.release();
    return;
  }
  try {
    Group::add(std::move(greenlet));
  } catch (...) {
    slots_.release();
    throw;
  }
}

void Pool::on_removed() {
  slots_.release();
}

}  // namespace green
