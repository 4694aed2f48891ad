// Fd readiness on the hub. IoWatcher is a persistent watch whose callback runs on
// the hub (the building block for libcurl's and c-ares's sockets); wait_readable /
// wait_writable suspend the calling greenlet until an fd is ready.
#pragma once

#include <functional>
#include <optional>

namespace green {

class Hub;

class IoWatcher {
 public:
  enum : int { kRead = 1, kWrite = 2 };
  using Callback = std::function<void(int ready_events)>;

  IoWatcher(int fd, Callback on_ready);
  IoWatcher(Hub& hub, int fd, Callback on_ready);
  ~IoWatcher();
  IoWatcher(const IoWatcher&) = delete;
  IoWatcher& operator=(const IoWatcher&) = delete;

  // Watches for `events` (kRead|kWrite) until stop(); a no-op when unchanged, so a
  // socket can stay registered across idle periods. 0 stops.
  void start(int events);
  void stop() noexcept;
  int events() const noexcept { return events_; }
  int fd() const noexcept { return fd_; }
  // An unref'd watcher does not keep the loop alive (LoopExit still possible).
  void set_ref(bool ref) noexcept;

 private:
  static void dispatch(int fd, short what, void* self) noexcept;

  Hub* hub_;
  int fd_;
  Callback on_ready_;
  void* event_ = nullptr;  // libevent's struct event
  int events_ = 0;
  bool ref_ = true;
};

// Suspends the current greenlet until `fd` is readable (writable); false on timeout.
bool wait_readable(int fd, std::optional<double> timeout = {});
bool wait_writable(int fd, std::optional<double> timeout = {});

}  // namespace green
