// detail::Multi: one libcurl multi handle driven by the hub (curl's hiperfifo
// pattern). libcurl's socket and timer callbacks only (re)arm hub watchers and the
// hub timer; those hub callbacks call curl_multi_socket_action, then hand each
// finished transfer to its Transfer, which wakes the fetch greenlet.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "green/io.hpp"
#include "green/timer.hpp"
#include "net/detail/transfer.hpp"

namespace green {
class Hub;
}

namespace gfetch::net::detail {

class Multi {
 public:
  struct Limits {
    long max_connections = 0;           // CURLMOPT_MAX_TOTAL_CONNECTIONS (0: none)
    long max_connections_per_host = 0;  // CURLMOPT_MAX_HOST_CONNECTIONS (0: none)
    long max_idle_connections = 0;      // CURLMOPT_MAXCONNECTS (0: grows with load)
  };

  // `share` (may be null): set on every easy handle (CURLOPT_SHARE).
  Multi(green::Hub& hub, const Limits& limits, CURLSH* share);
  // Closes every connection; no transfer may still be added.
  ~Multi();
  Multi(const Multi&) = delete;
  Multi& operator=(const Multi&) = delete;

  // ---- Called by fetch greenlets only: never from a libcurl or hub callback. ----

  // An easy handle from the pool (init_easy() applied); null if libcurl fails.
  std::unique_ptr<Easy> acquire();
  // Back to the pool. `dirty`: an option was set that cannot be set back (a CA
  // file), so the handle is reset to libcurl's defaults first. `may_keep_buffer`:
  // the transfer did not end as a completed HTTP/1 one, so libcurl may still hold
  // its receive buffer; such a handle is freed instead (see client_multi.cpp).
  void release(std::unique_ptr<Easy> easy, bool dirty, bool may_keep_buffer) noexcept;
  // Starts the transfer (curl_multi_add_handle); the hub drives it from here.
  CURLMcode add(CURL* easy, Transfer& transfer);
  // Stops it, finished or not. libcurl calls nothing of it afterwards. A finished
  // transfer's handle was removed on the hub already (Transfer::detached): no-op.
  void remove(CURL* easy, const Transfer& transfer) noexcept;
  std::size_t active() const noexcept { return active_; }
  // CURLOPT_DNS_CACHE_TIMEOUT for a transfer starting now: see DnsCachePruning.
  long dns_cache_timeout() noexcept;
  // Keeps at most one idle connection (libcurl's smallest cache) from now on: the
  // connection of each transfer that ends is closed, unless it is the only one.
  void stop_caching_connections() noexcept;
  // Identifies the connection open on `fd` now (0: none watched): a later
  // connection that reuses the fd number gets another serial.
  std::uint64_t socket_serial(curl_socket_t fd) const noexcept;

 private:
  struct Socket;

  // libcurl's callbacks: record and return (they never call libcurl).
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void*) noexcept;
  static int on_timer(CURLM* multi, long timeout_ms, void* self) noexcept;
  static int on_close_socket(void* self, curl_socket_t fd) noexcept;

  // Hub callbacks: the only places that drive libcurl.
  void on_ready(Socket& socket, int events);
  void on_timeout();
  void deliver_finished() noexcept;

  void setup(Easy& easy) noexcept;
  void watch(curl_socket_t fd, int what);
  void forget(curl_socket_t fd) noexcept;
  void bury_closed() noexcept;
  static void acknowledge_now(curl_socket_t fd) noexcept;

  green::Hub* hub_;
  CURLSH* share_;
  CURLM* multi_ = nullptr;
  green::Timer timer_;
  long idle_cap_ = 0;  // the MAXCONNECTS in force
  bool idle_cap_auto_ = true;
  std::size_t active_ = 0;
  std::uint64_t next_serial_ = 1;
  DnsCachePruning dns_pruning_;
  bool ack_now_ = false;  // set by a transfer's on_body during on_ready (Transfer::ack_now)
  std::vector<std::unique_ptr<Socket>> sockets_;  // by fd
  std::vector<std::unique_ptr<Socket>> closed_;   // freed outside their own callbacks
  std::vector<std::unique_ptr<Easy>> pool_;
};

}  // namespace gfetch::net::detail
