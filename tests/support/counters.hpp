// The HttpServer's shared counters: written by the server thread on each
// request, read and reset by test threads. One mutex, O(1) work per request;
// the per-path map is copied only when someone asks for a snapshot.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "support/stats.hpp"

namespace testing::detail {

class Counters {
 public:
  void connection_accepted();
  // A request for `path` arrived; it is in flight until request_finished().
  void request_started(std::string_view path);
  void request_finished();
  // /flaky: how many requests with this id came before this one.
  std::uint64_t flaky_seen(const std::string& id);

  Stats snapshot() const;
  // Zeroes counts and /flaky state; max_in_flight restarts from the current in_flight.
  void reset();

 private:
  mutable std::mutex mutex_;
  Stats stats_;
  std::unordered_map<std::string, std::uint64_t> paths_;
  std::unordered_map<std::string, std::uint64_t> flaky_;
};

// The snapshot as the JSON object GET /stats returns.
std::string stats_json(const Stats& stats);

}  // namespace testing::detail
