// Fetcher: one URL from start to Result — per-host limit, rate limit, the attempts
// with backoff and Retry-After, the body saved under -o. Runs in a pool greenlet;
// a kill (GreenletExit) leaves `result` describing how far it got, so the job can
// still report the URL as cancelled.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "fetch/options.hpp"
#include "fetch/output_dir.hpp"
#include "fetch/rate_limiter.hpp"
#include "fetch/result.hpp"
#include "green/semaphore.hpp"
#include "net/client.hpp"
#include "net/request.hpp"

namespace gfetch {

// --per-host: one semaphore per "host:port", created on first use and dropped when
// its last user leaves, so memory follows the hosts in flight, not all hosts seen.
class HostLimits {
 public:
  explicit HostLimits(std::size_t per_host) : per_host_(per_host) {}
  // Holds one of the slots of `url`'s host for its lifetime (waiting FIFO while all
  // are taken). per_host 0: no limit, never waits (and the URL is not looked at).
  class Slot {
   public:
    Slot(HostLimits& limits, std::string_view url);
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    HostLimits& limits_;
    std::string key_;
    bool held_ = false;
  };
  std::size_t hosts() const noexcept { return hosts_.size(); }

 private:
  struct Host {
    explicit Host(std::size_t n) : semaphore(n) {}
    green::Semaphore semaphore;
    std::size_t users = 0;
  };
  std::size_t per_host_;
  std::unordered_map<std::string, std::unique_ptr<Host>> hosts_;
};

class Fetcher {
 public:
  // All references must outlive the fetcher. rate and output_dir may be null.
  Fetcher(net::Client& client, const Options& options, RateLimiter* rate, OutputDir* output_dir);

  // Fetches `result.url` into `result` (url, index and input already set). Per-URL
  // failures end up in result.error; GreenletExit and TimeoutError propagate, with
  // `result` filled as far as it got (attempts, time so far). `layout`: the URL's,
  // when the reader found it canonical (net::scan_url_layout), or null.
  void fetch(Result& result, const net::UrlLayout* layout = nullptr);

  // Fetches under way (past the limits, inside client.fetch or a retry wait).
  std::size_t in_flight() const noexcept { return in_flight_; }
  // URLs whose first transfer has started (counted as it starts), and fetches now
  // between two attempts (waiting to retry). With the URLs spawned, they tell when
  // no fetch will want a connection to reuse (Job: stop_reusing_connections).
  std::size_t first_transfers() const noexcept { return first_transfers_; }
  std::size_t retrying() const noexcept { return retrying_; }
  // Called as each attempt starts (after the counts above changed), before the
  // client is asked.
  void on_attempt(std::function<void()> callback) { on_attempt_ = std::move(callback); }

 private:
  // The wait before the next attempt, or nullopt when this response is final.
  std::optional<double> retry_wait(const net::Response& response, int attempt);
  void fill(Result& result, net::Response&& response) const;
  void save_to_file(Result& result, net::Request& request);

  net::Client& client_;
  const Options& options_;
  RateLimiter* rate_;
  OutputDir* output_dir_;
  HostLimits hosts_;
  net::Request base_;  // everything but the URL and the sink
  std::mt19937_64 random_;
  std::size_t in_flight_ = 0;
  std::size_t first_transfers_ = 0;
  std::size_t retrying_ = 0;
  std::function<void()> on_attempt_;
};

}  // namespace gfetch
