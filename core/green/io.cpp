// IoWatcher over a libevent event, and the greenlet-level fd waits built on it.
#include "green/io.hpp"

#include <event2/event.h>

#include <cstdio>
#include <cstdlib>

#include "green/hub.hpp"
#include "green/waiter.hpp"

namespace green {

IoWatcher::IoWatcher(int fd, Callback on_ready)
    : IoWatcher(Hub::current(), fd, std::move(on_ready)) {}

IoWatcher::IoWatcher(Hub& hub, int fd, Callback on_ready)
    : hub_(&hub), fd_(fd), on_ready_(std::move(on_ready)) {}

IoWatcher::~IoWatcher() {
  stop();
  if (event_ != nullptr) event_free(static_cast<event*>(event_));
}

void IoWatcher::start(int events) {
  if (events == events_) return;
  if (events == 0) {
    stop();
    return;
  }
  event_base* base = static_cast<event_base*>(hub_->native_loop());
  short what = EV_PERSIST;
  if (events & kRead) what |= EV_READ;
  if (events & kWrite) what |= EV_WRITE;
  if (event_ == nullptr) {
    event_ = event_new(base, fd_, what, &IoWatcher::dispatch, this);
  } else {
    event_del(static_cast<event*>(event_));
    event_assign(static_cast<event*>(event_), base, fd_, what, &IoWatcher::dispatch, this);
  }
  if (event_ == nullptr || event_add(static_cast<event*>(event_), nullptr) != 0) {
    std::fprintf(stderr, "green: cannot watch fd %d\n", fd_);
    std::abort();
  }
  if (events_ == 0 && ref_) ++hub_->active_io_;
  events_ = events;
}

void IoWatcher::stop() noexcept {
  if (events_ == 0) return;
  event_del(static_cast<event*>(event_));
  if (ref_) --hub_->active_io_;
  events_ = 0;
}

void IoWatcher::set_ref(bool ref) noexcept {
  if (ref == ref_) return;
  if (events_ != 0) {
    if (ref) {
      ++hub_->active_io_;
    } else {
      --hub_->active_io_;
    }
  }
  ref_ = ref;
}

void IoWatcher::dispatch(int, short what, void* self) noexcept {
  auto* watcher = static_cast<IoWatcher*>(self);
  watcher->hub_->note_event();
  int ready = 0;
  if (what & EV_READ) ready |= kRead;
  if (what & EV_WRITE) ready |= kWrite;
  try {
    watcher->on_ready_(ready);
  } catch (...) {
    watcher->hub_->handle_error(watcher->hub_->current_greenlet(), std::current_exception());
  }
}

namespace {

bool wait_fd(int fd, int events, std::optional<double> timeout) {
  Waiter waiter;
  IoWatcher watcher(fd, [&waiter](int) { waiter.wake(); });
  watcher.start(events);
  return waiter.wait(timeout);
}

}  // namespace

bool wait_readable(int fd, std::optional<double> timeout) {
  return wait_fd(fd, IoWatcher::kRead, timeout);
}

bool wait_writable(int fd, std::optional<double> timeout) {
  return wait_fd(fd, IoWatcher::kWrite, timeout);
}

}  // namespace green
