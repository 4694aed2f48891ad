// libcurl's zero-timeout readiness polls, answered by the hub where it knows the
// answer. With the multi_socket API libcurl 7.88 still polls a connection's socket
// twice per request on keep-alive connections: to see whether the idle connection
// it is about to reuse is still alive (url.c, ConnectionExists), and right after
// sending the request, to see whether the response is there (transfer.c,
// Curl_readwrite). Two system calls per request: 5-7% of bench (a)'s client CPU.
// curl's maintainers agree that these polls have no place under an application's
// event loop (curl PR 8457); 7.88 has no option to skip them.
//
// gfetch's executable defines poll(), and libcurl's calls bind to it. A poll of
// one socket, for input only, with a zero timeout, is answered "nothing ready"
// without the kernel when a Multi of this thread's hub watches that socket for
// input and the hub is not handling an event of that socket right now. That is
// the hub's own knowledge: the socket was not readable at the last epoll_wait, or
// libcurl has read it since, and epoll (level-triggered) reports anything that
// arrives at the hub's next turn. Every other poll goes to the kernel.
//
// What the shortcut can get wrong is the one thing the kernel's poll gets wrong
// too, over a shorter time: a peer's close that arrived since the last epoll_wait
// (microseconds to a loop turn ago). libcurl then reuses the dead connection, its
// request fails before any byte of a response, and libcurl retries it on a new
// connection (Curl_retry_request), as it does when the close races the poll.
#pragma once

#include <cstdint>

namespace gfetch::net::detail::curl_poll {

// A Multi on this thread's hub watches (or stops watching) `fd` for input.
void set_watched_for_input(int fd, bool watched) noexcept;

// While a Multi hands libcurl an event of `fd` (curl_multi_socket_action on it),
// polls of `fd` go to the kernel: libcurl is reading it, and asks between reads
// whether more has arrived.
class HandlingEvent {
 public:
  explicit HandlingEvent(int fd) noexcept;
  ~HandlingEvent();
  HandlingEvent(const HandlingEvent&) = delete;
  HandlingEvent& operator=(const HandlingEvent&) = delete;

 private:
  int previous_;
};

// Polls on this thread: answered by the hub, and passed to the kernel.
struct Counts {
  std::uint64_t answered = 0;
  std::uint64_t passed_on = 0;
};
Counts counts() noexcept;

}  // namespace gfetch::net::detail::curl_poll
