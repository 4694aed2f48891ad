// testing::HttpServer: the loopback HTTP/1.1 test server (libevent evhttp) that
// the network tests, the CLI end-to-end tests, the benchmarks and the demo use.
// It runs on its own thread with its own event_base, so a test's green hub on
// the main thread can fetch from it; routes are listed in tests/support/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "support/loopback.hpp"
#include "support/stats.hpp"

namespace testing {

class HttpServer {
 public:
  // Binds (throws std::system_error if it cannot) and starts serving on a new thread.
  explicit HttpServer(ServerOptions options = {});
  // stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  const std::string& host() const;               // the bind address: "127.0.0.1" or "::1"
  std::string authority() const;                 // "127.0.0.1:PORT" or "[::1]:PORT"
  std::string base_url() const;                  // "http://" + authority()
  std::string url(std::string_view path) const;  // base_url() + path ("/bytes/10")

  // Thread-safe; the same numbers as GET /stats.
  Stats stats() const;
  void reset_stats();

  // Ends the loop and joins the thread; requests still pending are dropped.
  // Idempotent; call from the thread that constructed the server.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace testing
