// The end-of-run summary on stderr: URLs by outcome (ok, HTTP error, each error
// kind), bytes, wall time, requests/s and latency percentiles. Memory is fixed:
// latencies go into a log-bucketed histogram (1% resolution), not a list.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "fetch/result.hpp"

namespace gfetch {

// Latencies from 1 us to ~30 hours in buckets 1% wide; percentile() answers within
// 1% of the exact nearest-rank value.
class LatencyHistogram {
 public:
  void add(double seconds) noexcept;
  // The p-th percentile (0 < p <= 100), nearest rank; 0 when empty.
  double percentile(double p) const noexcept;
  std::uint64_t count() const noexcept { return count_; }

 private:
  static constexpr std::size_t kBuckets = 1800;
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
};

class Summary {
 public:
  void add(const Result& result);

  std::uint64_t total() const noexcept { return total_; }
  std::uint64_t ok() const noexcept { return ok_; }                    // responded, status < 400
  std::uint64_t http_errors() const noexcept { return http_errors_; }  // responded, >= 400
  std::uint64_t failed() const noexcept { return failed_; }  // counted as failures (exit 1)
  std::uint64_t bytes() const noexcept { return bytes_; }
  const std::map<std::string, std::uint64_t>& errors() const noexcept { return errors_; }
  const LatencyHistogram& latency() const noexcept { return latency_; }

  // The summary as printed: a few lines, each ending with '\n'.
  std::string render(double wall_seconds) const;

 private:
  std::uint64_t total_ = 0;
  std::uint64_t ok_ = 0;
  std::uint64_t http_errors_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t bytes_ = 0;
  std::map<std::string, std::uint64_t> errors_;  // error kind -> count (not http-error)
  LatencyHistogram latency_;
};

}  // namespace gfetch
