// poll() for the whole process, so that libcurl's zero-timeout readiness polls of
// the sockets the hub watches are answered without the kernel (see
// net/detail/curl_poll.hpp). Every other poll goes to the kernel through ppoll,
// which nothing here replaces.
#undef _FORTIFY_SOURCE  // its inline poll() wrapper would clash with the definition here
#include "net/detail/curl_poll.hpp"

#include <poll.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "net/detail/curl_clock.hpp"

namespace gfetch::net::detail::curl_poll {
namespace {

// Trivially destructible, so poll() reads it with no TLS guard, and never after it
// is gone: TableOwner frees it when the thread exits and leaves it empty.
struct WatchedTable {
  unsigned char* by_fd = nullptr;  // 1: watched for input
  std::size_t size = 0;
};
thread_local WatchedTable t_watched;
struct TableOwner {
  bool armed = false;
  ~TableOwner() {
    std::free(t_watched.by_fd);
    t_watched = {};
  }
};
thread_local TableOwner t_table_owner;
thread_local int t_handling_event = -1;  // the fd whose event libcurl is handed
thread_local Counts t_counts;

constexpr short kInputEvents = POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI;

bool answerable(const pollfd* fds, nfds_t count, int timeout) noexcept {
  if (count != 1 || timeout != 0 || fds == nullptr) return false;
  const pollfd& entry = fds[0];
  if (entry.events == 0 || (entry.events & ~kInputEvents) != 0) return false;
  if (entry.fd < 0 || entry.fd == t_handling_event) return false;
  const auto index = static_cast<std::size_t>(entry.fd);
  return index < t_watched.size && t_watched.by_fd[index] != 0;
}

int kernel_poll(pollfd* fds, nfds_t count, int timeout) {  // a cancellation point
  timespec limit{timeout / 1000, static_cast<long>(timeout % 1000) * 1'000'000};
  return ::ppoll(fds, count, timeout < 0 ? nullptr : &limit, nullptr);
}

}  // namespace

void set_watched_for_input(int fd, bool watched) noexcept {
  if (fd < 0) return;
  const auto index = static_cast<std::size_t>(fd);
  if (index >= t_watched.size) {
    if (!watched) return;
    const std::size_t size = std::max({index + 1, 2 * t_watched.size, std::size_t{256}});
    auto* grown = static_cast<unsigned char*>(std::realloc(t_watched.by_fd, size));
    if (grown == nullptr) return;  // not recorded: its polls go to the kernel
    std::memset(grown + t_watched.size, 0, size - t_watched.size);
    t_table_owner.armed = true;  // registers the owner's destructor on this thread
    t_watched = {grown, size};
  }
  t_watched.by_fd[index] = watched ? 1 : 0;
}

HandlingEvent::HandlingEvent(int fd) noexcept : previous_(t_handling_event) {
  t_handling_event = fd;
}

HandlingEvent::~HandlingEvent() {
  t_handling_event = previous_;
}

Counts counts() noexcept {
  return t_counts;
}

}  // namespace gfetch::net::detail::curl_poll

// Not noexcept, as glibc declares it (poll is a cancellation point). glibc also
// marks `fds` write-only (__attr_access), which poll's callers know is not so: the
// events asked for are read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
extern "C" int poll(pollfd* fds, nfds_t count, int timeout) {
  using namespace gfetch::net::detail::curl_poll;
  if (answerable(fds, count, timeout)) {
    ++t_counts.answered;
    fds[0].revents = 0;
    return 0;
  }
  ++t_counts.passed_on;
  gfetch::net::detail::curl_clock::thaw();  // what libcurl learns next is news
  return kernel_poll(fds, count, timeout);
}
#pragma GCC diagnostic pop
