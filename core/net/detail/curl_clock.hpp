// The time libcurl reads while the hub hands it an event: the time of that event.
// libcurl 7.88 reads CLOCK_MONOTONIC ~35 times per 1 KiB request (Curl_now, from
// its progress meter, timers and connection cache), at ~23 ns a read on the bench
// machine: ~6% of bench (a)'s client CPU. libcurl 8 passes one reading through its
// multi loop instead; 7.88 has no option for it.
//
// gfetch's executable defines clock_gettime(), as it defines poll()
// (net/detail/curl_poll.hpp). While a Multi hands libcurl an event or a timeout
// (one curl_multi_socket_action call and the removal of the transfers it
// finished: a Frozen scope on the hub's thread), the first CLOCK_MONOTONIC read
// goes to the clock and every later one in the scope gets the same time. That is
// the loop-time rule of libev and libuv: code handling an event sees the time the
// event was handled. Every other read, of any other clock, on any other thread or
// outside a scope, goes to glibc's clock_gettime unchanged.
//
// Setting up a connection is timed with the clock itself. When the server's
// answers are already there, libcurl's nonblocking TCP and TLS connect can finish
// within one call, and a frozen clock would stamp its steps with one time (a TLS
// handshake of 0 s: measured). So while a transfer of the thread sets up a
// connection (a ConnectionSetup lives: from libcurl's opening of the socket until
// the connection is ready), every read is the clock's, in a scope or not. What is
// left frozen is the work on connections that are ready: requests and responses,
// whose times are taken at the events that carry them.
//
// What libcurl sees stays monotonic: a scope's time is read after every earlier
// read of the thread, and every later read is made after it (when a connection's
// setup ends, the scope's next read reads the clock again). Within a scope it does
// not advance: libcurl works there on what it already read (microseconds: at most
// one receive buffer's worth of decoding), nothing in libcurl waits for time to
// pass within a call under the multi_socket API, and its timings and timeouts are
// at most that much early.
#pragma once

#include <cstdint>

namespace gfetch::net::detail::curl_clock {

// On this thread, until the outermost Frozen ends: CLOCK_MONOTONIC stands still at
// its first read, unless a connection is being set up. Nested scopes share the
// outermost one's time.
class Frozen {
 public:
  Frozen() noexcept;
  ~Frozen();
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  bool outermost_;
};

// A transfer on this thread is setting up a connection while one lives: every
// CLOCK_MONOTONIC read meanwhile is the clock's.
class ConnectionSetup {
 public:
  ConnectionSetup() noexcept;
  ~ConnectionSetup();
  ConnectionSetup(const ConnectionSetup&) = delete;
  ConnectionSetup& operator=(const ConnectionSetup&) = delete;
};

// ConnectionSetups alive on this thread.
unsigned connections_being_set_up() noexcept;

// libcurl has just asked the kernel about its sockets (a poll that went to the
// kernel, net/detail/curl_poll.hpp): in a scope, the next CLOCK_MONOTONIC read
// reads the clock again, and stands still there.
void thaw() noexcept;

// CLOCK_MONOTONIC reads on this thread inside scopes: answered with the scope's
// time; read from the clock for the scope; read from the clock because a
// connection was being set up.
struct Counts {
  std::uint64_t answered = 0;
  std::uint64_t read = 0;
  std::uint64_t unfrozen = 0;
};
Counts counts() noexcept;

}  // namespace gfetch::net::detail::curl_clock
