// Loopback listening sockets shared by the test servers: where a server binds
// (127.0.0.1 or ::1, port 0 = any free port) and how its address is written in
// a URL. Failures to bind throw std::system_error: a test server that cannot
// listen is a broken test environment, not a per-URL outcome.
#pragma once

#include <cstdint>
#include <string>

namespace testing {

struct ServerOptions {
  std::string bind = "127.0.0.1";  // a numeric loopback address: "127.0.0.1" or "::1"
  std::uint16_t port = 0;          // 0 = let the kernel pick a free port
};

// A non-blocking, close-on-exec TCP socket listening on options.bind:options.port
// (SO_REUSEADDR set). Throws std::system_error or std::invalid_argument.
int listen_tcp(const ServerOptions& options);

// The port a bound socket listens on.
std::uint16_t local_port(int fd);

// "127.0.0.1:8080" or "[::1]:8080": the authority part of a URL.
std::string url_authority(const std::string& bind, std::uint16_t port);

// Blocks SIGPIPE on the calling thread, so a write to a closed peer fails with
// EPIPE instead of killing the process; servers call it first on their thread.
void block_sigpipe_on_this_thread();

}  // namespace testing
