// Loopback listening sockets shared by the test servers and tests: where a server
// binds (127.0.0.1 or ::1, port 0 = any free port), how its address is written in
// a URL, free and refusing ports, and a listener whose accept queue is full.
// Failures to bind throw std::system_error: a test server that cannot listen is a
// broken test environment, not a per-URL outcome.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace testing {

struct ServerOptions {
  std::string bind = "127.0.0.1";  // a numeric loopback address: "127.0.0.1" or "::1"
  std::uint16_t port = 0;          // 0 = let the kernel pick a free port
};

// A non-blocking, close-on-exec TCP socket listening on options.bind:options.port
// (SO_REUSEADDR set) with the given accept backlog. Throws std::system_error or
// std::invalid_argument.
int listen_tcp(const ServerOptions& options, int backlog = 1024);

// The port a bound socket listens on.
std::uint16_t local_port(int fd);

// "127.0.0.1:8080" or "[::1]:8080": the authority part of a URL.
std::string url_authority(const std::string& bind, std::uint16_t port);

// Blocks SIGPIPE on the calling thread, so a write to a closed peer fails with
// EPIPE instead of killing the process; servers call it first on their thread.
void block_sigpipe_on_this_thread();

// A TCP port on 127.0.0.1 with nothing listening on it right now: connecting to it
// is refused (until something else takes it).
std::uint16_t free_tcp_port();

// Whether a blocking connect to 127.0.0.1:port succeeds now.
bool accepts_connections(std::uint16_t port);

// A listener on 127.0.0.1 whose accept queue is full (backlog 0, filled by three
// non-blocking connects), so further connects hang in SYN_SENT: for connect
// timeouts. Throws std::system_error if it cannot listen.
class FullListener {
 public:
  FullListener();
  ~FullListener();
  FullListener(const FullListener&) = delete;
  FullListener& operator=(const FullListener&) = delete;

  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

}  // namespace testing
