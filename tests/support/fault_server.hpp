// testing::FaultServer: a loopback server of raw sockets that misbehaves on
// purpose, one fault per request path (README.md lists the exact bytes). Like
// HttpServer it runs on its own thread, so a green hub can fetch from it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "support/loopback.hpp"

namespace testing {

enum class Fault {
  silent,               // /silent: reads the request, never answers, keeps the connection open
  stall_after_headers,  // /stall-after-headers: 200 headers (Content-Length: 1048576), then nothing
  reset_mid_body,       // /reset-mid-body: headers, 4096 of 1048576 body bytes, 100 ms, then RST
  close_mid_body,       // /close-mid-body: the same, then a clean close (FIN)
  close_before_headers,  // /close-before-headers: reads the request, closes without a byte
  bad_status_line,       // /bad-status-line: "HTTP/1.1 2x0 Broken"
  bad_headers,           // /bad-headers: a header line without a colon
  endless_body,          // /endless-body: 200 without length, pattern bytes until the client leaves
  endless_headers,       // /endless-headers: 100 MiB of header lines, then the blank line, close
};
constexpr std::size_t kFaultCount = 9;

// "/silent", "/reset-mid-body", ...
std::string_view fault_path(Fault fault);

class FaultServer {
 public:
  // Binds (throws std::system_error if it cannot) and starts serving on a new thread.
  explicit FaultServer(ServerOptions options = {});
  ~FaultServer();  // stop()
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& host() const { return options_.bind; }
  std::string authority() const;  // "127.0.0.1:PORT" or "[::1]:PORT"
  std::string base_url() const;   // "http://" + authority()
  std::string url(Fault fault) const;

  // Thread-safe counts since start: connections accepted, requests per fault.
  std::uint64_t connections() const { return connections_.load(); }
  std::uint64_t hits(Fault fault) const { return hits_[static_cast<std::size_t>(fault)].load(); }

  // Closes every connection and joins the thread. Idempotent.
  void stop();

 private:
  struct Loop;  // the poll loop and its connections, owned by the server thread
  void run() noexcept;

  ServerOptions options_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> connections_{0};
  std::array<std::atomic<std::uint64_t>, kFaultCount> hits_{};
  std::thread thread_;
};

}  // namespace testing
