// Scale and limits, measured by the server: 100,000 URLs through stdin give exactly
// 100,000 records; the pool and --per-host bounds are never exceeded (the server's
// peak of concurrent requests); --rate is kept (request arrivals sampled by the server);
// a pool larger than the open-file limit allows raises the limit, or is lowered.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/process.hpp"
#include "e2e/records.hpp"
#include "support/http_server.hpp"

TEST_CASE("100000 URLs through stdin: exactly 100000 result lines") {
  testing::HttpServer server;
  constexpr int kUrls = 100000;
  std::string input;
  input.reserve(kUrls * 48);
  for (int i = 0; i < kUrls; ++i) input += server.url("/bytes/8?i=" + std::to_string(i)) + "\n";
  e2e::Gfetch child({"--pool", "100", "--no-summary"}, input);
  e2e::Finished run = child.wait(300);
  CHECK(run.status == 0);
  std::vector<std::string> lines = records::lines(run.out);
  CHECK(lines.size() == kUrls);
  std::set<std::string> urls;
  std::size_t ok = 0;
  for (const std::string& line : lines) {
    std::vector<std::string> columns = records::split(line, '\t');
    urls.insert(columns[0]);
    if (columns.size() == 5 && columns[1] == "200" && columns[2] == "8") ++ok;
  }
  CHECK(urls.size() == kUrls);
  CHECK(ok == kUrls);
  CHECK(server.stats().requests == kUrls);
  // Streamed: memory stays at the pool's working set (about 17 MB whether 10,000 or
  // 200,000 URLs), far below what holding 100,000 URLs and results would take.
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
#ifndef GREEN_SANITIZE_ADDRESS
  CHECK(usage.ru_maxrss < 40 * 1024);
#endif
  WARN("100,000 URLs, --pool 100: " << run.seconds << " s, max RSS " << usage.ru_maxrss << " KB");
}

TEST_CASE("the pool bound is never exceeded, and is reached") {
  testing::HttpServer server;
  std::vector<std::string> args{"--pool", "8"};
  for (int i = 0; i < 40; ++i) args.push_back(server.url("/delay/" + std::to_string(100 + i)));
  e2e::Finished run = e2e::run(args);
  CHECK(run.status == 0);
  CHECK(records::lines(run.out).size() == 40);
  CHECK(server.stats().max_in_flight == 8);
}

TEST_CASE("option --per-host bounds each host:port, the pool bounds the total") {
  testing::HttpServer first;
  testing::HttpServer second;
  std::vector<std::string> args{"--pool", "5", "--per-host", "3"};
  for (int i = 0; i < 24; ++i) {
    testing::HttpServer& server = i % 2 ? second : first;
    args.push_back(server.url("/delay/" + std::to_string(100 + i)));
  }
  e2e::Finished run = e2e::run(args);
  CHECK(run.status == 0);
  CHECK(records::lines(run.out).size() == 24);
  CHECK(first.stats().max_in_flight <= 3);
  CHECK(second.stats().max_in_flight <= 3);
  CHECK(first.stats().max_in_flight + second.stats().max_in_flight >= 4);
  CHECK(first.stats().max_in_flight >= 2);
}

TEST_CASE("time_total counts a fetch from its first attempt, not its wait for a slot or the rate") {
  testing::HttpServer server;
  // --per-host 1 lines four 300 ms fetches up; --rate 4/s spaces four fast ones
  // 250 ms apart. Each fetch takes what the server takes, though the last of each
  // kind waited 0.75 s or more before it started.
  std::vector<std::string> args{"--json", "--per-host", "1"};
  for (int i = 0; i < 4; ++i) args.push_back(server.url("/delay/300?i=" + std::to_string(i)));
  e2e::Finished queued = e2e::run(args);
  std::vector<std::string> args_rate{"--json", "--rate", "4/s"};
  for (int i = 0; i < 4; ++i) args_rate.push_back(server.url("/bytes/1?i=" + std::to_string(i)));
  e2e::Finished paced = e2e::run(args_rate);
  CHECK(queued.seconds >= 1.2);
  CHECK(paced.seconds >= 0.75);
  for (const e2e::Finished* run : {&queued, &paced}) {
    std::vector<std::string> lines = records::lines(run->out);
    REQUIRE(lines.size() == 4);
    for (const std::string& line : lines) {
      auto record = records::parse_json_object(line);
      INFO(line);
      CHECK(record["status"] == "200");
      const bool slow = record["url"].find("/delay/") != std::string::npos;
      CHECK(std::stod(record["time_total"]) < (slow ? 0.6 : 0.2));
    }
  }
}

TEST_CASE("option --rate: the server sees at most N request starts per second") {
  testing::HttpServer server;
  constexpr int kUrls = 30;
  constexpr double kRate = 20;
  std::vector<std::string> args{"--pool", "50", "--rate", "20/s"};
  for (int i = 0; i < kUrls; ++i) args.push_back(server.url("/bytes/1?i=" + std::to_string(i)));
  e2e::Gfetch child(args);
  // Sample the server's request count as it goes.
  std::vector<std::pair<double, std::uint64_t>> samples;
  auto start = std::chrono::steady_clock::now();
  child.pump_until(
      [&] {
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        samples.emplace_back(t, server.stats().requests);
        return samples.back().second >= static_cast<std::uint64_t>(kUrls);
      },
      30);
  e2e::Finished run = child.wait();
  CHECK(run.status == 0);
  CHECK(records::lines(run.out).size() == kUrls);
  // 30 starts 50 ms apart take at least 1.45 s; any window holds at most rate*w + 1.
  double first_seen = 0;
  for (const auto& [t, n] : samples) {
    if (n >= 1) {
      first_seen = t;
      break;
    }
  }
  CHECK(samples.back().first - first_seen >= (kUrls - 1) / kRate - 0.1);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    for (std::size_t j = i + 1; j < samples.size(); ++j) {
      double window = samples[j].first - samples[i].first;
      if (window < 0.5) continue;
      INFO("window " << window << " s: " << samples[j].second - samples[i].second);
      CHECK(static_cast<double>(samples[j].second - samples[i].second) <= kRate * window + 2);
    }
  }
}

namespace {

// 250 URLs that each take 300 ms, so that the whole pool is in flight at once.
std::vector<std::string> slow_urls(testing::HttpServer& server, std::vector<std::string> args) {
  for (int i = 0; i < 250; ++i) args.push_back(server.url("/delay/300?i=" + std::to_string(i)));
  return args;
}

std::size_t count_ok(const std::string& out) {
  std::size_t ok = 0;
  for (const std::string& line : records::lines(out)) {
    std::vector<std::string> columns = records::split(line, '\t');
    if (columns.size() == 5 && columns[1] == "200") ++ok;
  }
  return ok;
}

}  // namespace

TEST_CASE("a pool the open-file limit cannot hold is lowered with a warning, and no URL fails") {
  testing::HttpServer server;
  const e2e::OpenFiles open_files{160, 160};
  e2e::Gfetch child(slow_urls(server, {"--pool", "250", "--no-summary"}), "", "", &open_files);
  e2e::Finished run = child.wait(60);
  CHECK(run.status == 0);
  // 160 files: 64 kept aside, and 1 + 1/16 for each fetch.
  CHECK(run.err ==
        "gfetch: --pool 250 lowered to 90: at most 160 files may be open (ulimit -n), and "
        "each fetch holds a socket\n");
  CHECK(records::lines(run.out).size() == 250);
  CHECK(count_ok(run.out) == 250);
  CHECK(server.stats().max_in_flight == 90);
}

TEST_CASE("the soft open-file limit is raised as far as the pool needs") {
  rlimit own{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &own) == 0);
  if (own.rlim_max != RLIM_INFINITY && own.rlim_max < 1024) {
    WARN("hard open-file limit " << own.rlim_max << ": too low for this test");
    return;
  }
  testing::HttpServer server;
  const e2e::OpenFiles open_files{160, 1024};
  e2e::Gfetch child(slow_urls(server, {"--pool", "250", "--no-summary"}), "", "", &open_files);
  e2e::Finished run = child.wait(60);
  CHECK(run.status == 0);
  CHECK(run.err.empty());
  CHECK(count_ok(run.out) == 250);
  CHECK(server.stats().max_in_flight == 250);
}
