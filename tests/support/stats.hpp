// What an HttpServer has seen, as a snapshot a test can read from any thread
// (HttpServer::stats()) or over HTTP (GET /stats, the same numbers as JSON).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace testing {

struct Stats {
  std::uint64_t requests = 0;                  // requests received (not /stats, /stats/reset)
  std::uint64_t connections = 0;               // TCP connections accepted
  std::int64_t in_flight = 0;                  // received, response not yet finished by the server
  std::int64_t max_in_flight = 0;              // peak of in_flight since start/reset
  std::map<std::string, std::uint64_t> paths;  // requests per path (query dropped)

  // Requests for one path ("/bytes/10"); 0 if never requested.
  std::uint64_t count(const std::string& path) const {
    auto it = paths.find(path);
    return it == paths.end() ? 0 : it->second;
  }
};

}  // namespace testing
