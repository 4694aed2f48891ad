// The built gfetch against a loopback server: every output format parsed back
// field by field, exact byte counts, invalid input lines (FILE:LINE on stderr, an
// invalid-url record), --keep-order, --fail, usage errors and exit statuses.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e/process.hpp"
#include "e2e/records.hpp"
#include "support/http_server.hpp"

namespace {

std::string write_file(const std::string& content) {
  char path[] = "/tmp/gfetch-e2e-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

}  // namespace

TEST_CASE("TSV: one line per URL, exact byte counts, status, error") {
  testing::HttpServer server;
  std::vector<std::string> urls;
  std::map<std::string, std::string> expected_bytes;
  for (int n : {0, 1, 100, 4096, 100000}) {
    std::string url = server.url("/bytes/" + std::to_string(n));
    urls.push_back(url);
    expected_bytes[url] = std::to_string(n);
  }
  urls.push_back(server.url("/status/404"));
  e2e::Finished run = e2e::run(urls);
  CHECK(run.status == 0);  // a 404 is a response; only --fail makes it a failure
  std::vector<std::string> lines = records::lines(run.out);
  REQUIRE(lines.size() == urls.size());
  std::set<std::string> seen;
  for (const std::string& line : lines) {
    std::vector<std::string> columns = records::split(line, '\t');
    REQUIRE(columns.size() == 5);
    seen.insert(columns[0]);
    CHECK(std::stod(columns[3]) >= 0);
    if (columns[0].find("/status/404") != std::string::npos) {
      CHECK(columns[1] == "404");
      CHECK(columns[4] == "-");
      continue;
    }
    CHECK(columns[1] == "200");
    CHECK(columns[2] == expected_bytes.at(columns[0]));
    CHECK(columns[4] == "-");
  }
  CHECK(seen.size() == urls.size());
  CHECK(run.err.find("6 URLs: 5 ok, 1 HTTP error") != std::string::npos);
  CHECK(run.err.find("latency p50") != std::string::npos);
}

TEST_CASE("JSON Lines: every field, parsed back") {
  testing::HttpServer server;
  std::string url = server.url("/bytes/1234");
  std::string redirect = server.url("/redirect/2");
  e2e::Finished run = e2e::run({"--json", "--keep-order", url, redirect, "http://127.0.0.1:1/"});
  CHECK(run.status == 1);
  std::vector<std::string> lines = records::lines(run.out);
  REQUIRE(lines.size() == 3);
  auto first = records::parse_json_object(lines[0]);
  CHECK(first.size() == 19);
  CHECK(first["index"] == "1");
  CHECK(first["url"] == url);
  CHECK(first["final_url"] == url);
  CHECK(first["status"] == "200");
  CHECK(first["bytes"] == "1234");
  CHECK(std::stoull(first["wire_bytes"]) > 1234);
  CHECK(std::stod(first["time_total"]) > 0);
  CHECK(std::stod(first["time_total"]) >= std::stod(first["time_first_byte"]));
  CHECK(first["attempts"] == "1");
  CHECK(first["redirects"] == "0");
  CHECK(first["remote_ip"] == "127.0.0.1");
  CHECK(first["http_version"] == "1.1");
  CHECK(first["error"] == "");
  CHECK(first["error_message"] == "");
  CHECK(first["input"] == "<arg>:1");
  CHECK(first["file"] == "");
  auto second = records::parse_json_object(lines[1]);
  CHECK(second["redirects"] == "2");
  CHECK(second["final_url"] == server.url("/bytes/16"));
  CHECK(second["bytes"] == "16");
  auto third = records::parse_json_object(lines[2]);
  CHECK(third["status"] == "0");
  CHECK(third["error"] == "connect-refused");
  CHECK_FALSE(third["error_message"].empty());
  CHECK(third["input"] == "<arg>:3");
}

TEST_CASE("CSV: header row, every field, parsed back") {
  testing::HttpServer server;
  e2e::Finished run =
      e2e::run({"--csv", "--keep-order", server.url("/bytes/10"), server.url("/bytes/20")});
  CHECK(run.status == 0);
  auto rows = records::parse_csv(run.out);
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[0].size() == 19);
  CHECK(rows[0][0] == "index");
  CHECK(rows[0][1] == "url");
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < rows[0].size(); ++i) column[rows[0][i]] = i;
  CHECK(rows[1][column["bytes"]] == "10");
  CHECK(rows[2][column["bytes"]] == "20");
  CHECK(rows[2][column["url"]] == server.url("/bytes/20"));
  CHECK(rows[1][column["status"]] == "200");
  CHECK(run.out.find("\r\n") != std::string::npos);
}

TEST_CASE("option -w templates with variables and escapes") {
  testing::HttpServer server;
  e2e::Finished run = e2e::run({"-w", "%{bytes} bytes received from %{url}\\n", "--keep-order",
                                server.url("/bytes/5"), server.url("/bytes/7")});
  CHECK(run.status == 0);
  CHECK(run.out == "5 bytes received from " + server.url("/bytes/5") + "\n7 bytes received from " +
                       server.url("/bytes/7") + "\n");
  e2e::Finished tabs = e2e::run({"-w", "%{status}\\t%{attempts}\\n", server.url("/bytes/1")});
  CHECK(tabs.out == "200\t1\n");
}

TEST_CASE("invalid lines: a record each, FILE:LINE on stderr, the run goes on") {
  testing::HttpServer server;
  std::string file =
      write_file("# comment\n" + server.url("/bytes/3") + "\n\nnot a url\nftp://x/\n   " +
                 server.url("/bytes/4") + "  \nhttp://a.test/\x1b[2J\x07\n");
  e2e::Finished run = e2e::run({"--json", "--keep-order", "-i", file});
  CHECK(run.status == 1);
  std::vector<std::string> lines = records::lines(run.out);
  REQUIRE(lines.size() == 5);
  auto bad = records::parse_json_object(lines[1]);
  CHECK(bad["error"] == "invalid-url");
  CHECK(bad["url"] == "not a url");
  CHECK(bad["input"] == file + ":4");
  CHECK(records::parse_json_object(lines[2])["input"] == file + ":5");
  CHECK(records::parse_json_object(lines[3])["bytes"] == "4");
  CHECK(records::parse_json_object(lines[3])["input"] == file + ":6");
  CHECK(run.err.find(file + ":4: invalid URL 'not a url'") != std::string::npos);
  CHECK(run.err.find(file + ":5: invalid URL 'ftp://x/': unsupported scheme") != std::string::npos);
  // Control bytes of the input do not reach the terminal: they are written as %XX.
  CHECK(run.err.find(file + ":7: invalid URL 'http://a.test/%1B[2J%07'") != std::string::npos);
  CHECK(run.err.find('\x1b') == std::string::npos);
  ::unlink(file.c_str());
}

TEST_CASE("option --keep-order writes input order, the default completion order") {
  // Two servers: concurrent fetches to one host may wait for its first response
  // while the client learns whether the connection multiplexes.
  testing::HttpServer slow;
  testing::HttpServer fast;
  std::vector<std::string> urls = {slow.url("/delay/400"), fast.url("/bytes/1")};
  e2e::Finished ordered = e2e::run({"--keep-order", urls[0], urls[1]});
  auto lines = records::lines(ordered.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind(urls[0], 0) == 0);
  e2e::Finished completion = e2e::run({urls[0], urls[1]});
  lines = records::lines(completion.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind(urls[1], 0) == 0);
}

TEST_CASE("option --keep-order holds at most 16 results per pool slot behind a slow one") {
  testing::HttpServer slow;
  testing::HttpServer fast;
  std::vector<std::string> args{"--keep-order", "--pool", "2", slow.url("/delay/1500")};
  for (int i = 0; i < 100; ++i) args.push_back(fast.url("/bytes/1?i=" + std::to_string(i)));
  e2e::Gfetch child(args);
  // While the first URL takes its 1.5 s, the other slot fetches until 32 results
  // are held, then waits for the first to be written.
  REQUIRE(child.pump_until([&] { return fast.stats().requests >= 32; }, 10));
  child.pump_until([] { return false; }, 0.5);
  CHECK(fast.stats().requests == 32);
  CHECK(slow.stats().requests == 1);
  e2e::Finished run = child.wait(10);
  CHECK(run.status == 0);
  std::vector<std::string> lines = records::lines(run.out);
  REQUIRE(lines.size() == 101);
  CHECK(lines[0].rfind(args[3], 0) == 0);
  for (std::size_t i = 1; i < lines.size(); ++i) CHECK(lines[i].rfind(args[3 + i], 0) == 0);
  CHECK(fast.stats().requests == 100);
}

TEST_CASE("option --fail makes HTTP errors failures (exit 1)") {
  testing::HttpServer server;
  e2e::Finished run = e2e::run({"--fail", server.url("/status/500"), server.url("/bytes/1")});
  CHECK(run.status == 1);
  CHECK(run.out.find("\t500\t") != std::string::npos);
  CHECK(run.out.find("http-error") != std::string::npos);
}

TEST_CASE("usage errors: every bad flag reported, nothing fetched, exit 2") {
  testing::HttpServer server;
  e2e::Finished run =
      e2e::run({"--pool", "0", "--rate", "x", "--wat", "-w", "%{nope}", server.url("/bytes/1")});
  CHECK(run.status == 2);
  CHECK(run.out.empty());
  CHECK(run.err.find("--pool: invalid value '0'") != std::string::npos);
  CHECK(run.err.find("--rate: invalid value 'x'") != std::string::npos);
  CHECK(run.err.find("unknown option '--wat'") != std::string::npos);
  CHECK(run.err.find("%{nope}") != std::string::npos);
  CHECK(server.stats().requests == 0);
  CHECK(e2e::run({"--help"}).status == 0);
  CHECK(e2e::run({"--version"}).out.rfind("gfetch ", 0) == 0);
}

TEST_CASE("usage errors: a missing last value is reported with the other bad flags") {
  testing::HttpServer server;
  e2e::Finished run = e2e::run({"--pool", "0", "--wat", server.url("/bytes/1"), "-t"});
  CHECK(run.status == 2);
  CHECK(run.out.empty());
  CHECK(run.err.find("--timeout: missing value (SEC)") != std::string::npos);
  CHECK(run.err.find("--pool: invalid value '0'") != std::string::npos);
  CHECK(run.err.find("unknown option '--wat'") != std::string::npos);
  CHECK(server.stats().requests == 0);
  e2e::Finished plain = e2e::run({"--no-summary", "--", server.url("/bytes/1")});
  CHECK(plain.status == 0);
  CHECK(server.stats().requests == 1);
}

TEST_CASE("option -q: nothing on stderr") {
  testing::HttpServer server;
  e2e::Finished run = e2e::run({"-q", server.url("/bytes/1"), "bad url"});
  CHECK(run.status == 1);
  CHECK(run.err.empty());
  CHECK(records::lines(run.out).size() == 2);
}

TEST_CASE("option --progress on stderr: at most 10 redraws a second, erased before the summary") {
  testing::HttpServer server;
  std::vector<std::string> args{"--progress", "--pool", "4"};
  for (int i = 0; i < 24; ++i) args.push_back(server.url("/delay/" + std::to_string(100 + i)));
  e2e::Finished run = e2e::run(args);
  CHECK(run.status == 0);
  std::size_t draws = 0;
  for (std::size_t at = run.err.find("done,"); at != std::string::npos;
       at = run.err.find("done,", at + 1)) {
    ++draws;
  }
  CHECK(draws >= 3);
  CHECK(static_cast<double>(draws) <= run.seconds * 10 + 2);
  std::size_t summary = run.err.find("24 URLs:");
  REQUIRE(summary != std::string::npos);
  CHECK(run.err.substr(summary - 4, 4) == "\r\x1b[K");
  CHECK(run.err.find("/24 done") != std::string::npos);  // the total, once input is read
}
