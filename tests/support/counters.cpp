// The HttpServer's shared counters and their JSON form (see counters.hpp).
#include "support/counters.hpp"

#include <algorithm>
#include <cstdio>

namespace testing::detail {

void Counters::connection_accepted() {
  std::lock_guard lock(mutex_);
  ++stats_.connections;
}

void Counters::request_started(std::string_view path) {
  std::lock_guard lock(mutex_);
  ++stats_.requests;
  ++stats_.in_flight;
  stats_.max_in_flight = std::max(stats_.max_in_flight, stats_.in_flight);
  ++paths_[std::string(path)];
}

void Counters::request_finished() {
  std::lock_guard lock(mutex_);
  --stats_.in_flight;
}

std::uint64_t Counters::flaky_seen(const std::string& id) {
  std::lock_guard lock(mutex_);
  return flaky_[id]++;
}

Stats Counters::snapshot() const {
  std::lock_guard lock(mutex_);
  Stats out = stats_;
  out.paths.insert(paths_.begin(), paths_.end());
  return out;
}

void Counters::reset() {
  std::lock_guard lock(mutex_);
  stats_.requests = 0;
  stats_.connections = 0;
  stats_.max_in_flight = stats_.in_flight;
  paths_.clear();
  flaky_.clear();
}

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string stats_json(const Stats& stats) {
  std::string out = "{\"requests\":" + std::to_string(stats.requests) +
                    ",\"connections\":" + std::to_string(stats.connections) +
                    ",\"in_flight\":" + std::to_string(stats.in_flight) +
                    ",\"max_in_flight\":" + std::to_string(stats.max_in_flight) + ",\"paths\":{";
  bool first = true;
  for (const auto& [path, count] : stats.paths) {  // std::map: sorted, stable output
    if (!first) out += ',';
    first = false;
    append_json_string(out, path);
    out += ':' + std::to_string(count);
  }
  out += "}}\n";
  return out;
}

}  // namespace testing::detail
