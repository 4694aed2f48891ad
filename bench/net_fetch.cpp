// net_fetch: the net layer's throughput benchmark. Fetches every URL of a list
// (one per line, streamed from a file or "-" for stdin) through net::Client from a
// green::Pool, discards the bodies, checks that each answer is a 200 with the
// expected size, and prints one key=value line: requests/s, CPU per 1,000 requests
// (getrusage user+sys) and peak RSS. bench/net.sh runs it next to curl --parallel.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "net/client.hpp"

namespace {

namespace net = gfetch::net;

constexpr const char* kUsage =
    "usage: bench_net_fetch [-c CONCURRENCY] [-s EXPECTED_BODY_BYTES] URL_LIST|-\n"
    "Fetches each URL of the list (one per line) through net::Client from a green::Pool\n"
    "of CONCURRENCY greenlets (default 100), bodies discarded. Every response must be a\n"
    "200 (and EXPECTED_BODY_BYTES long, if given); exit status 1 otherwise.\n";

struct Options {
  std::size_t concurrency = 100;
  std::optional<std::uint64_t> expected_size;
  std::string list;
};

// Options from argv, or empty after printing why not.
std::optional<Options> parse_args(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool takes_value = arg == "-c" || arg == "-s";
    if (takes_value && i + 1 >= argc) {
      std::fprintf(stderr, "bench_net_fetch: %s needs a value\n%s", arg.c_str(), kUsage);
      return std::nullopt;
    }
    if (arg == "-c") {
      options.concurrency = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "-s") {
      options.expected_size = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (options.list.empty() && (arg == "-" || arg[0] != '-')) {
      options.list = arg;
    } else {
      std::fprintf(stderr, "bench_net_fetch: unexpected argument %s\n%s", arg.c_str(), kUsage);
      return std::nullopt;
    }
  }
  if (options.list.empty() || options.concurrency == 0) {
    std::fputs(kUsage, stderr);
    return std::nullopt;
  }
  return options;
}

// What the fetches returned, tallied as they finish.
struct Tally {
  std::uint64_t requests = 0;
  std::uint64_t ok = 0;
  std::uint64_t body_bytes = 0;
  std::vector<std::string> failures;  // the first few, for the error message

  void record(const net::Request& request, const net::Response& response,
              const std::optional<std::uint64_t>& expected_size) {
    ++requests;
    body_bytes += response.bytes_received;
    bool size_ok = !expected_size || response.bytes_received == *expected_size;
    if (response.ok() && response.status == 200 && size_ok) {
      ++ok;
      return;
    }
    if (failures.size() < 5) {
      failures.push_back(request.url + ": status " + std::to_string(response.status) + ", " +
                         std::to_string(response.bytes_received) + " bytes" +
                         (response.ok() ? "" : ", " + response.error_message));
    }
  }
};

struct Usage {
  std::chrono::steady_clock::time_point wall;
  double cpu_seconds;  // user + system
  long maxrss_kib;
};

Usage usage_now() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return {std::chrono::steady_clock::now(), seconds(usage.ru_utime) + seconds(usage.ru_stime),
          usage.ru_maxrss};
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options = parse_args(argc, argv);
  if (!options) return 2;
  std::ifstream file;
  if (options->list != "-") {
    file.open(options->list);
    if (!file) {
      std::fprintf(stderr, "bench_net_fetch: cannot read %s\n", options->list.c_str());
      return 2;
    }
  }
  std::istream& list = options->list == "-" ? std::cin : file;

  green::Hub hub;
  net::Client client(hub);
  green::Pool pool(options->concurrency);
  Tally tally;
  const Usage before = usage_now();
  // The list is read as the pool frees slots, so memory does not grow with it.
  // (Reading blocks the hub: from a pipe, a slow writer stalls the fetches.)
  std::string line;
  while (std::getline(list, line)) {
    if (line.empty()) continue;
    pool.spawn([&client, &tally, &options, request = net::Request{.url = std::move(line)}] {
      net::Response response = client.fetch(request);
      tally.record(request, response, options->expected_size);
    });
  }
  pool.join();
  const Usage after = usage_now();

  const double wall = std::chrono::duration<double>(after.wall - before.wall).count();
  const double cpu = after.cpu_seconds - before.cpu_seconds;
  const double requests = static_cast<double>(tally.requests);
  const net::Client::Stats stats = client.stats();
  std::printf(
      "requests=%llu ok=%llu failed=%llu body_bytes=%llu wall_s=%.3f req_per_s=%.0f "
      "cpu_s=%.3f cpu_s_per_1k=%.4f cpu_us_per_req=%.1f maxrss_kib=%ld connections=%llu\n",
      static_cast<unsigned long long>(tally.requests), static_cast<unsigned long long>(tally.ok),
      static_cast<unsigned long long>(tally.requests - tally.ok),
      static_cast<unsigned long long>(tally.body_bytes), wall, wall > 0 ? requests / wall : 0.0,
      cpu, requests > 0 ? cpu / requests * 1000 : 0.0, requests > 0 ? cpu / requests * 1e6 : 0.0,
      after.maxrss_kib, static_cast<unsigned long long>(stats.connections_opened));
  for (const std::string& failure : tally.failures) {
    std::fprintf(stderr, "bench_net_fetch: failed: %s\n", failure.c_str());
  }
  return tally.requests > 0 && tally.ok == tally.requests ? 0 : 1;
}
