// HTTP options of the built binary against the loopback server: headers and user
// agent (echoed by /headers), method and body, redirects, size and time limits,
// --compressed, --dedupe, --resolve, --http1.1, and the terminal table (under
// script(1): NO_COLOR, --color, --no-color, --no-progress).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "e2e/process.hpp"
#include "e2e/records.hpp"
#include "support/http_server.hpp"

namespace {

std::map<std::string, std::string> json_run(std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  e2e::Finished run = e2e::run(args);
  std::vector<std::string> lines = records::lines(run.out);
  REQUIRE(lines.size() == 1);
  return records::parse_json_object(lines[0]);
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

struct TempDir {
  TempDir() {
    char path[] = "/tmp/gfetch-http-XXXXXX";
    dir = ::mkdtemp(path);
  }
  ~TempDir() { std::system(("rm -rf '" + dir + "'").c_str()); }
  std::string dir;
};

}  // namespace

TEST_CASE("option -H and -A reach the server, and the default agent is gfetch/VERSION") {
  testing::HttpServer server;
  TempDir tmp;
  auto record = json_run({"-o", tmp.dir, "-H", "X-Test: yes", "-H", "X-Other:  two words", "-A",
                          "agent/9", server.url("/headers")});
  CHECK(record["status"] == "200");
  std::string echoed = read_file(record["file"]);
  CHECK(echoed.find("X-Test: yes\n") != std::string::npos);
  CHECK(echoed.find("X-Other: two words\n") != std::string::npos);
  CHECK(echoed.find("User-Agent: agent/9\n") != std::string::npos);
  auto plain = json_run({"-o", tmp.dir, server.url("/headers")});
  CHECK(read_file(plain["file"]).find("User-Agent: gfetch/") != std::string::npos);
  CHECK(read_file(plain["file"]).find("Accept: */*\n") != std::string::npos);
}

TEST_CASE(
    "option -H as curl reads it: 'Name:' removes a header, 'Name' and a semicolon sends it empty") {
  testing::HttpServer server;
  TempDir tmp;
  auto record = json_run({"-o", tmp.dir, "-H", "Accept:", "-H", "User-Agent:", "-H", "X-Empty;",
                          server.url("/headers?removed")});
  CHECK(record["status"] == "200");
  std::string echoed = read_file(record["file"]);
  INFO(echoed);
  CHECK(echoed.find("Accept") == std::string::npos);
  CHECK(echoed.find("User-Agent") == std::string::npos);
  CHECK(echoed.find("X-Empty: \n") != std::string::npos);
  CHECK(echoed.find("Host: ") != std::string::npos);
}

TEST_CASE("option -X and -d: method and body") {
  testing::HttpServer server;
  TempDir tmp;
  auto head = json_run({"-X", "HEAD", server.url("/bytes/100")});
  CHECK(head["status"] == "200");
  CHECK(head["bytes"] == "0");
  auto post = json_run({"-o", tmp.dir, "-d", "a=1", server.url("/headers")});
  CHECK(read_file(post["file"]).find("Content-Length: 3\n") != std::string::npos);
}

TEST_CASE("redirects: followed by default, --no-location, --max-redirs") {
  testing::HttpServer server;
  CHECK(json_run({server.url("/redirect/3")})["redirects"] == "3");
  auto kept = json_run({"--no-location", server.url("/redirect/3")});
  CHECK(kept["status"] == "302");
  CHECK(kept["redirects"] == "0");
  auto limited = json_run({"--max-redirs", "1", server.url("/redirect/3")});
  CHECK(limited["error"] == "too-many-redirects");
  CHECK(json_run({"-L", server.url("/redirect/1")})["redirects"] == "1");
}

TEST_CASE("limits: --max-filesize, -t, --compressed") {
  testing::HttpServer server;
  CHECK(json_run({"--max-filesize", "100", server.url("/bytes/1000")})["error"] ==
        "body-too-large");
  CHECK(json_run({"--max-filesize", "1k", server.url("/bytes/1000")})["error"] == "");
  auto slow = json_run({"-t", "0.3", server.url("/delay/3000")});
  CHECK(slow["error"] == "timeout");
  CHECK(std::stod(slow["time_total"]) < 1.5);
  CHECK(json_run({"--compressed", server.url("/gzip/5000")})["bytes"] == "5000");
  CHECK(json_run({server.url("/gzip/5000")})["bytes"] != "5000");
}

TEST_CASE("option --dedupe, --resolve, --http1.1") {
  testing::HttpServer server;
  std::string url = server.url("/bytes/3");
  e2e::Finished run = e2e::run({"--dedupe"}, url + "\n" + url + "\n" + url + "\n");
  CHECK(records::lines(run.out).size() == 1);
  CHECK(server.stats().requests == 1);
  std::string port = std::to_string(server.port());
  auto resolved = json_run({"--resolve", "gfetch.test:" + port + ":127.0.0.1",
                            "http://gfetch.test:" + port + "/bytes/5"});
  CHECK(resolved["status"] == "200");
  CHECK(resolved["bytes"] == "5");
  // The name is kept (TLS would need it): only the address comes from --resolve.
  CHECK(resolved["final_url"] == "http://gfetch.test:" + port + "/bytes/5");
  CHECK(json_run({"--http1.1", url})["http_version"] == "1.1");
}

TEST_CASE("connections: a run never opens more than its pool, its tail included") {
  // Once the input is exhausted the client stops keeping idle connections, but
  // only after every fetch has its own: the last URLs must not find them closed.
  testing::HttpServer server;
  std::string input;
  for (int i = 0; i < 300; ++i) {
    input +=
        server.url(i % 3 == 0 ? "/delay/" + std::to_string(i % 7) : "/bytes/" + std::to_string(i)) +
        "\n";
  }
  e2e::Finished run = e2e::run({"--pool", "10"}, input);
  CHECK(run.status == 0);
  CHECK(records::lines(run.out).size() == 300);
  CHECK(server.stats().requests == 300);
  CHECK(server.stats().connections <= 10);
  // Fetches waiting for a host slot when the input ends need a connection later.
  server.reset_stats();
  run = e2e::run({"--pool", "10", "--per-host", "2"}, input);
  CHECK(records::lines(run.out).size() == 300);
  CHECK(server.stats().connections <= 2);
}

TEST_CASE("on a terminal: an aligned, coloured table, and NO_COLOR turns colour off") {
  testing::HttpServer server;
  std::string command = "script -qec \"" + std::string(GFETCH_BINARY) + " --no-summary " +
                        server.url("/bytes/2048") + "\" /dev/null";
  e2e::Finished coloured = e2e::shell(command);
  CHECK(coloured.out.find("\x1b[32m200\x1b[0m") != std::string::npos);
  CHECK(coloured.out.find("2.0 KiB") != std::string::npos);
  e2e::Finished plain = e2e::shell("NO_COLOR=1 " + command);
  CHECK(plain.out.find("\x1b[32m") == std::string::npos);
  CHECK(plain.out.find("200 ") != std::string::npos);
}

TEST_CASE("on a terminal: --color beats NO_COLOR, --no-color and --no-progress") {
  testing::HttpServer server;
  auto command = [&](const std::string& flags, const std::string& path) {
    return "script -qec \"" + std::string(GFETCH_BINARY) + " " + flags + " " + server.url(path) +
           "\" /dev/null";
  };
  CHECK(e2e::shell("NO_COLOR=1 " + command("--color --no-summary", "/bytes/10"))
            .out.find("\x1b[32m200\x1b[0m") != std::string::npos);
  e2e::Finished plain = e2e::shell(command("--no-color --no-summary", "/bytes/10"));
  CHECK(plain.out.find("\x1b[32m") == std::string::npos);
  CHECK(plain.out.find("200 ") != std::string::npos);
  // Progress is drawn on a terminal by default (at least once for a 500 ms fetch)...
  CHECK(e2e::shell(command("", "/delay/500")).out.find("done,") != std::string::npos);
  // ...and never with --no-progress; the summary stays.
  e2e::Finished quiet = e2e::shell(command("--no-progress", "/delay/500"));
  CHECK(quiet.out.find("done,") == std::string::npos);
  CHECK(quiet.out.find("1 URL") != std::string::npos);
}
