// Summary counters and the latency histogram (see summary.hpp).
#include "fetch/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fetch/formats.hpp"

namespace gfetch {
namespace {

constexpr double kMin = 1e-6;
const double kLogStep = std::log(1.01);

}  // namespace

void LatencyHistogram::add(double seconds) noexcept {
  std::size_t bucket = 0;
  if (seconds > kMin) {
    double index = std::log(seconds / kMin) / kLogStep;
    bucket = std::min(kBuckets - 1, static_cast<std::size_t>(index) + 1);
  }
  ++buckets_[bucket];
  ++count_;
}

double LatencyHistogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += buckets_[bucket];
    if (seen >= rank) {
      // Bucket b > 0 holds (kMin*1.01^(b-1), kMin*1.01^b]: answer its geometric middle.
      return bucket == 0 ? kMin : kMin * std::pow(1.01, static_cast<double>(bucket) - 0.5);
    }
  }
  return kMin * std::pow(1.01, static_cast<double>(kBuckets - 1));
}

void Summary::add(const Result& result) {
  ++total_;
  bytes_ += result.bytes;
  if (result.responded()) {
    latency_.add(result.time_total);
    if (result.status >= 400) {
      ++http_errors_;
    } else {
      ++ok_;
    }
  } else {
    ++errors_[result.error];
  }
  if (!result.ok()) ++failed_;
}

std::string Summary::render(double wall_seconds) const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%llu %s: %llu ok, %llu HTTP error",
                static_cast<unsigned long long>(total_), total_ == 1 ? "URL" : "URLs",
                static_cast<unsigned long long>(ok_),
                static_cast<unsigned long long>(http_errors_));
  out += line;
  for (const auto& [kind, count] : errors_) {
    out += ", " + std::to_string(count) + " " + kind;
  }
  out += '\n';
  double rate = wall_seconds > 0 ? static_cast<double>(total_) / wall_seconds : 0;
  std::snprintf(line, sizeof line, "%s in %s, %.1f requests/s\n",
                human_bytes(static_cast<double>(bytes_)).c_str(),
                human_seconds(wall_seconds).c_str(), rate);
  out += line;
  if (latency_.count() > 0) {
    std::snprintf(line, sizeof line, "latency p50 %s, p90 %s, p99 %s\n",
                  human_seconds(latency_.percentile(50)).c_str(),
                  human_seconds(latency_.percentile(90)).c_str(),
                  human_seconds(latency_.percentile(99)).c_str());
    out += line;
  }
  return out;
}

}  // namespace gfetch
