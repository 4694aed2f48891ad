// Stopping and recovering: --deadline, retries against /flaky (with Retry-After),
// SIGINT (grace, then cancel), a second SIGINT and SIGQUIT (cancel now) — every
// URL read has a line, exit 130 — a reader that closes the pipe (| head -1), a
// stdout that fails (/dev/full), and -o, which never writes outside its directory.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "e2e/process.hpp"
#include "e2e/records.hpp"
#include "support/http_server.hpp"

namespace {

// URLs with distinct paths (the server counts per path): /delay/MS+i, after one
// fast /bytes/1. (The client holds concurrent transfers to a new host until its
// first response says whether the connection multiplexes; the fast URL answers
// that at once, so the delayed ones start together.)
std::vector<std::string> delay_urls(const testing::HttpServer& server, int count, int ms) {
  std::vector<std::string> urls{server.url("/bytes/1")};
  for (int i = 0; i < count; ++i) urls.push_back(server.url("/delay/" + std::to_string(ms + i)));
  return urls;
}

// Checks the records of an interrupted run: unique URLs, each from the input, one
// for every URL the server saw; returns the records by URL.
std::map<std::string, std::vector<std::string>> check_records(
    const std::string& out, const testing::HttpServer& server,
    const std::vector<std::string>& urls) {
  std::map<std::string, std::vector<std::string>> by_url;
  for (const std::string& line : records::lines(out)) {
    std::vector<std::string> columns = records::split(line, '\t');
    REQUIRE(columns.size() == 5);
    CHECK(by_url.emplace(columns[0], columns).second);
  }
  std::set<std::string> input(urls.begin(), urls.end());
  for (const auto& [url, columns] : by_url) CHECK(input.count(url) == 1);
  for (const auto& [path, count] : server.stats().paths) {
    INFO(path << " was requested but has no record");
    CHECK(by_url.count(server.url(path)) == 1);
  }
  return by_url;
}

// `count` distinct 100-byte URLs of `server`, for one command line.
std::string many_urls(const testing::HttpServer& server, int count) {
  std::string urls;
  for (int i = 0; i < count; ++i) urls += server.url("/bytes/100?i=" + std::to_string(i)) + " ";
  return urls;
}

std::size_t count_entries(const std::string& dir) {
  std::size_t n = 0;
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return 0;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") ++n;
  }
  ::closedir(handle);
  return n;
}

}  // namespace

TEST_CASE("option --deadline: in-flight fetches are cancelled and still reported") {
  testing::HttpServer server;
  std::vector<std::string> urls = delay_urls(server, 6, 3000);
  std::vector<std::string> args{"--deadline", "0.5"};
  args.insert(args.end(), urls.begin(), urls.end());
  e2e::Finished run = e2e::run(args);
  CHECK(run.status == 1);
  CHECK(run.seconds < 2.5);
  auto records = check_records(run.out, server, urls);
  CHECK(records.size() == 7);
  CHECK(records[server.url("/bytes/1")][1] == "200");
  CHECK(records[server.url("/delay/3000")][4] == "cancelled");
  CHECK(run.err.find("6 cancelled") != std::string::npos);
}

TEST_CASE("retries against /flaky: attempts counted, Retry-After honoured") {
  testing::HttpServer server;
  e2e::Finished run = e2e::run(
      {"--json", "--retries", "3", "--retry-delay", "0.01", server.url("/flaky?id=a&fail=2")});
  CHECK(run.status == 0);
  auto record = records::parse_json_object(records::lines(run.out).at(0));
  CHECK(record["status"] == "200");
  CHECK(record["attempts"] == "3");
  CHECK(server.stats().count("/flaky") == 3);

  e2e::Finished short_run = e2e::run(
      {"--json", "--retries", "1", "--retry-delay", "0.01", server.url("/flaky?id=b&fail=5")});
  auto failed = records::parse_json_object(records::lines(short_run.out).at(0));
  CHECK(failed["status"] == "503");
  CHECK(failed["attempts"] == "2");
  CHECK(short_run.status == 0);  // a 503 is a response unless --fail

  e2e::Finished none = e2e::run({"--json", server.url("/flaky?id=c&fail=1")});
  CHECK(records::parse_json_object(records::lines(none.out).at(0))["attempts"] == "1");

  e2e::Finished refused =
      e2e::run({"--json", "--retries", "2", "--retry-delay", "0.01", "http://127.0.0.1:1/"});
  auto refused_record = records::parse_json_object(records::lines(refused.out).at(0));
  CHECK(refused_record["error"] == "connect-refused");
  CHECK(refused_record["attempts"] == "3");
  CHECK(refused.status == 1);
}

TEST_CASE("option --retry-max-delay caps the exponential backoff") {
  testing::HttpServer server;
  // Uncapped, a 10 s base would wait at least 5 + 10 s before the two retries.
  e2e::Finished run = e2e::run({"--json", "--retries", "2", "--retry-delay", "10",
                                "--retry-max-delay", "0.2", server.url("/status/503")});
  auto record = records::parse_json_object(records::lines(run.out).at(0));
  CHECK(record["attempts"] == "3");
  CHECK(record["status"] == "503");
  CHECK(server.stats().count("/status/503") == 3);
  CHECK(std::stod(record["time_total"]) >= 0.35);  // two waits of 0.2 s (jitter is below the cap)
  CHECK(run.seconds < 4);
}

TEST_CASE("SIGINT: stop admitting, grace period, then cancel, and exit 130") {
  testing::HttpServer server;
  std::vector<std::string> urls = delay_urls(server, 60, 5000);
  std::vector<std::string> args{"--pool", "10", "--grace", "0.3"};
  args.insert(args.end(), urls.begin(), urls.end());
  e2e::Gfetch child(args);
  REQUIRE(child.pump_until([&] { return server.stats().requests >= 11; }, 10));
  child.signal(SIGINT);
  e2e::Finished run = child.wait(10);
  CHECK(run.status == 130);
  CHECK(run.seconds < 4);
  // Every URL read has a line: the 10 in flight were cancelled, the 50 queued
  // behind them were never started.
  auto records = check_records(run.out, server, urls);
  CHECK(records.size() == 61);
  CHECK(server.stats().requests == 11);
  for (const auto& [url, columns] : records) {
    if (url != urls[0]) CHECK(columns[4] == "cancelled");
  }
  CHECK(run.err.find("61 URLs: 1 ok, 0 HTTP error, 60 cancelled") != std::string::npos);
}

TEST_CASE("a run stopped early reports every URL it took from its input") {
  testing::HttpServer server;
  std::vector<std::string> urls = delay_urls(server, 40, 5000);
  char path[] = "/tmp/gfetch-urls-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  for (const std::string& url : urls) {
    const std::string line = url + "\n";
    REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
  ::close(fd);
  // The pipe stays open (blank lines, which are skipped, keep coming until gfetch
  // has gone): gfetch has read all 41 URLs and waits for more when the deadline
  // ends the run. 6 were fetched (the first, then 5 at once); 35 were only read.
  e2e::Finished run = e2e::shell("(cat " + std::string(path) +
                                 "; while echo; do sleep 0.05; done) | " + GFETCH_BINARY +
                                 " --json --pool 5 --deadline 0.5 2>/dev/null;"
                                 " echo status=${PIPESTATUS[1]}");
  ::unlink(path);
  std::vector<std::string> out = records::lines(run.out);
  REQUIRE(out.size() == urls.size() + 1);
  CHECK(out.back() == "status=1");
  CHECK(server.stats().requests == 6);
  // By index (the lines come in completion order): admission order is input order.
  std::map<std::size_t, std::map<std::string, std::string>> by_index;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    auto record = records::parse_json_object(out[i]);
    by_index[std::stoul(record["index"])] = record;
  }
  REQUIRE(by_index.size() == urls.size());
  REQUIRE(by_index.rbegin()->first == urls.size());
  for (std::size_t i = 0; i < urls.size(); ++i) {
    auto& record = by_index[i + 1];
    INFO(record["url"] << " " << record["error_message"]);
    CHECK(record["url"] == urls[i]);
    if (i == 0) {
      CHECK(record["status"] == "200");
    } else if (i <= 5) {
      CHECK(record["error_message"] == "deadline reached");
    } else {
      CHECK(record["error_message"] == "not started: deadline reached");
    }
  }
}

TEST_CASE("SIGINT: fetches that finish within the grace period are reported normally") {
  testing::HttpServer server;
  std::vector<std::string> urls = delay_urls(server, 30, 600);
  std::vector<std::string> args{"--pool", "5", "--grace", "5"};
  args.insert(args.end(), urls.begin(), urls.end());
  e2e::Gfetch child(args);
  REQUIRE(child.pump_until([&] { return server.stats().requests >= 6; }, 10));
  child.signal(SIGINT);
  e2e::Finished run = child.wait(10);
  CHECK(run.status == 130);
  auto records = check_records(run.out, server, urls);
  CHECK(records.size() == urls.size());
  std::size_t fetched = 0;
  for (const auto& [url, columns] : records) {
    if (columns[4] == "-") {
      CHECK(columns[1] == "200");
      ++fetched;
    } else {
      CHECK(columns[4] == "cancelled");
    }
  }
  CHECK(fetched == server.stats().requests);
  CHECK(fetched < urls.size());
}

TEST_CASE("a second SIGINT, or SIGQUIT, cancels at once") {
  testing::HttpServer server;
  for (int signal_number : {SIGINT, SIGQUIT}) {
    std::vector<std::string> urls = delay_urls(server, 20, 8000 + signal_number * 100);
    std::vector<std::string> args{"--pool", "4", "--grace", "30"};
    args.insert(args.end(), urls.begin(), urls.end());
    e2e::Gfetch child(args);
    std::uint64_t before = server.stats().requests;
    REQUIRE(child.pump_until([&] { return server.stats().requests >= before + 5; }, 10));
    child.signal(signal_number);
    if (signal_number == SIGINT) {
      child.pump_until([] { return false; }, 0.2);
      child.signal(SIGINT);
    }
    e2e::Finished run = child.wait(10);
    INFO("signal " << signal_number);
    CHECK(run.status == 130);
    CHECK(run.seconds < 5);
    CHECK(records::lines(run.out).size() == 21);
    CHECK(run.err.find("20 cancelled") != std::string::npos);
  }
}

TEST_CASE("| head -1 exits quietly") {
  testing::HttpServer server;
  const std::string urls = many_urls(server, 3000);
  e2e::Finished run = e2e::shell(std::string(GFETCH_BINARY) + " --pool 20 " + urls +
                                 " | head -1; echo \"status=${PIPESTATUS[0]}\"");
  std::vector<std::string> lines = records::lines(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("\t200\t100\t") != std::string::npos);
  CHECK(lines[1] == "status=0");
  CHECK(server.stats().requests < 3000);
}

TEST_CASE("results that cannot be written end the run with an error, exit 2") {
  testing::HttpServer server;
  const std::string urls = many_urls(server, 3000);
  // /dev/full: every write fails with ENOSPC. A few results fit in the buffer; the
  // first flush fails and the run stops.
  e2e::Finished run = e2e::shell(std::string(GFETCH_BINARY) + " --pool 20 " + urls +
                                 " >/dev/full; echo \"status=$?\"");
  CHECK(
      run.out.find("gfetch: cannot write results to standard output: No space left on device\n") !=
      std::string::npos);
  CHECK(run.out.find("status=2") != std::string::npos);
  CHECK(server.stats().requests < 3000);

  e2e::Finished one = e2e::shell(std::string(GFETCH_BINARY) + " " + server.url("/bytes/1") +
                                 " >/dev/full; echo \"status=$?\"");
  CHECK(one.out.find("No space left on device") != std::string::npos);
  CHECK(one.out.find("status=2") != std::string::npos);
}

TEST_CASE("option -o saves bodies inside DIR only, whatever the URL") {
  testing::HttpServer server;
  char root_template[] = "/tmp/gfetch-o-XXXXXX";
  std::string root = ::mkdtemp(root_template);
  std::string dir = root + "/out";
  std::vector<std::string> urls = {
      server.url("/bytes/10"),
      server.url("/bytes/10"),  // the same name again: a distinct file
      server.url("/../../bytes/11"),
      server.url("/%2e%2e/%2e%2e/bytes/12"),
      server.url("/%2E%2E%2Fbytes/13"),
      server.url("//bytes/14"),
      server.url("/bytes/15?" + std::string(3000, 'a')),
  };
  std::vector<std::string> args{"--json", "-o", dir};
  args.insert(args.end(), urls.begin(), urls.end());
  e2e::Finished run = e2e::run(args);
  std::set<std::string> files;
  for (const std::string& line : records::lines(run.out)) {
    auto record = records::parse_json_object(line);
    if (record["file"].empty()) continue;
    CHECK(record["file"].rfind(dir + "/", 0) == 0);
    CHECK(record["file"].find('/', dir.size() + 1) == std::string::npos);
    CHECK(files.insert(record["file"]).second);
  }
  CHECK(files.size() >= 3);
  CHECK(count_entries(root) == 1);  // only out/
  CHECK(count_entries(dir) == files.size());
  std::system(("rm -rf '" + root + "'").c_str());
}
