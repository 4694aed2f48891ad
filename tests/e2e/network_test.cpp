// Network options of the built binary against real loopback servers: --http2 and
// TLS (-k, --cacert) against nghttpd with a self-signed certificate, -x through a
// tiny counting forward proxy, --dns-servers/--dns-timeout against dnsmasq, the
// connect, stall and total timeouts, -d @FILE and --fail with and without a 404.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/process.hpp"
#include "e2e/records.hpp"
#include "support/dns_server.hpp"
#include "support/fault_server.hpp"
#include "support/http_server.hpp"
#include "support/loopback.hpp"
#include "support/nghttpd.hpp"

namespace {

// Sanitizer builds start and run slower: every "within its limit" bound adds this.
constexpr double kSlack = 1.5;

std::map<std::string, std::string> json_run(std::vector<std::string> args, int* status = nullptr) {
  args.insert(args.begin(), "--json");
  e2e::Finished run = e2e::run(args);
  if (status) *status = run.status;
  std::vector<std::string> lines = records::lines(run.out);
  INFO(run.err);
  REQUIRE(lines.size() == 1);
  return records::parse_json_object(lines[0]);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

// A listening socket on 127.0.0.1 at a free port.
int listen_loopback(int backlog, int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, backlog) != 0) {
    throw std::runtime_error("listen");
  }
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

// nghttpd on 127.0.0.1 at a free port serving one file, /file (`size` bytes):
// h2c, or TLS with a fresh self-signed certificate for 127.0.0.1.
testing::NghttpdOptions nghttpd(bool tls, std::size_t size) {
  testing::NghttpdOptions options;
  options.files = {{"file", size}};
  options.tls = tls;
  options.dir_prefix = "gfetch-e2e-h2-";
  options.start_polls = 250;
  return options;
}

// A one-thread HTTP forward proxy: accepts "GET http://HOST:PORT/PATH HTTP/1.1",
// records the request line, sends the request to HOST:PORT in origin form with
// "Connection: close" and relays the response until the server closes. One
// connection at a time, one request per connection; enough for a test.
class ForwardProxy {
 public:
  ForwardProxy() {
    listener_ = listen_loopback(16, port_);
    thread_ = std::thread([this] { run(); });
  }
  ~ForwardProxy() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> request_lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd in{listener_, POLLIN, 0};
      if (::poll(&in, 1, 20) <= 0) continue;
      int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      serve(client);
      ::close(client);
    }
  }

  // Reads from `fd` into `buffer` for at most a few seconds; false on EOF/timeout.
  bool read_some(int fd, std::string& buffer) {
    pollfd in{fd, POLLIN, 0};
    if (::poll(&in, 1, 5000) <= 0 || stop_) return false;
    char chunk[16384];
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  static bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t wrote = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (wrote <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(wrote));
    }
    return true;
  }

  void serve(int client) {
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!read_some(client, head)) return;
    }
    std::size_t line_end = head.find("\r\n");
    std::string line = head.substr(0, line_end);
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    }
    // "METHOD http://HOST:PORT/PATH VERSION"
    std::size_t space = line.find(' ');
    std::size_t last = line.rfind(' ');
    std::string target = line.substr(space + 1, last - space - 1);
    const std::string scheme = "http://";
    if (target.rfind(scheme, 0) != 0) return;
    std::size_t slash = target.find('/', scheme.size());
    std::string authority = target.substr(scheme.size(), slash - scheme.size());
    std::string path = slash == std::string::npos ? "/" : target.substr(slash);
    std::size_t colon = authority.rfind(':');
    int port = colon == std::string::npos ? 80 : std::stoi(authority.substr(colon + 1));

    std::string request = line.substr(0, space) + " " + path + line.substr(last) + "\r\n";
    std::size_t at = line_end + 2;
    while (at < head.size()) {
      std::size_t end = head.find("\r\n", at);
      std::string header = head.substr(at, end - at);
      at = end + 2;
      if (header.empty()) break;
      std::string lower;
      for (char c : header.substr(0, header.find(':'))) lower += static_cast<char>(std::tolower(c));
      if (lower == "connection" || lower == "proxy-connection") continue;
      request += header + "\r\n";
    }
    request += "Connection: close\r\n\r\n" + head.substr(at);

    int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(port);  // the tests only proxy to loopback servers
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        write_all(upstream, request)) {
      std::string response;
      while (read_some(upstream, response)) {
        if (!write_all(client, response)) break;
        response.clear();
      }
    }
    ::close(upstream);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

std::string write_temp(const std::string& content) {
  char path[] = "/tmp/gfetch-e2e-net-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

}  // namespace

TEST_CASE("option --http2: h2 over TLS, the h2c upgrade offered over http") {
  if (testing::find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  testing::Nghttpd tls(nghttpd(true, 1000));
  REQUIRE(tls.running());
  auto h2 = json_run({"--http2", "-k", tls.url("/file")});
  CHECK(h2["error"] == "");
  CHECK(h2["status"] == "200");
  CHECK(h2["bytes"] == "1000");
  CHECK(h2["http_version"] == "2");
  // nghttpd speaks only HTTP/2 (ALPN h2): --http1.1 cannot reach it.
  CHECK(json_run({"--http1.1", "-k", tls.url("/file")})["error"] != "");

  // Over http, --http2 offers the h2c upgrade (nghttpd does not implement it, so h2c
  // itself is covered by tests/net with prior knowledge); a 1.1-only server ignores
  // the offer and answers in 1.1.
  testing::HttpServer server;
  auto fallback = json_run({"--http2", server.url("/bytes/500")});
  CHECK(fallback["error"] == "");
  CHECK(fallback["bytes"] == "500");
  CHECK(fallback["http_version"] == "1.1");
  char dir[] = "/tmp/gfetch-e2e-h2c-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  auto offered = json_run({"-o", dir, "--http2", server.url("/headers")});
  auto plain = json_run({"-o", dir, server.url("/headers")});
  CHECK(read_file(offered["file"]).find("Upgrade: h2c\n") != std::string::npos);
  CHECK(read_file(plain["file"]).find("Upgrade:") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("TLS with a self-signed certificate: tls-failure, then -k or --cacert") {
  if (testing::find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  testing::Nghttpd server(nghttpd(true, 300));
  REQUIRE(server.running());
  int status = -1;
  auto refused = json_run({server.url("/file")}, &status);
  CHECK(refused["error"] == "tls-failure");
  CHECK(refused["status"] == "0");
  CHECK(status == 1);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-k"}, {"--insecure"}, {"--cacert", server.certificate()}}) {
    std::vector<std::string> full = args;
    full.push_back(server.url("/file"));
    auto record = json_run(full, &status);
    INFO(args[0]);
    CHECK(record["error"] == "");
    CHECK(record["status"] == "200");
    CHECK(record["bytes"] == "300");
    CHECK(status == 0);
  }
}

TEST_CASE("option -x sends requests through the proxy") {
  // A NO_PROXY covering 127.0.0.1 in the test's environment would bypass the proxy.
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  testing::HttpServer server;
  ForwardProxy proxy;
  auto record = json_run({"-x", proxy.url(), server.url("/bytes/7")});
  CHECK(record["error"] == "");
  CHECK(record["status"] == "200");
  CHECK(record["bytes"] == "7");
  auto lines = proxy.request_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "GET " + server.url("/bytes/7") + " HTTP/1.1");
  CHECK(server.stats().count("/bytes/7") == 1);

  auto long_form = json_run({"--proxy", proxy.url(), server.url("/bytes/9")});
  CHECK(long_form["bytes"] == "9");
  CHECK(proxy.request_lines().size() == 2);
  // "" means no proxy: straight to the server.
  CHECK(json_run({"-x", "", server.url("/bytes/3")})["bytes"] == "3");
  CHECK(proxy.request_lines().size() == 2);
  CHECK(server.stats().count("/bytes/3") == 1);
}

TEST_CASE("option --dns-servers and --dns-timeout: found, not found, timed out") {
  testing::DnsServer dns;
  testing::HttpServer server;
  std::string port = std::to_string(server.port());
  auto found = json_run({"--dns-servers", dns.server(), "http://a.test:" + port + "/bytes/5"});
  CHECK(found["error"] == "");
  CHECK(found["bytes"] == "5");
  CHECK(found["remote_ip"] == "127.0.0.1");

  auto missing = json_run({"--dns-servers", dns.server(), "http://nx.test:" + port + "/"});
  CHECK(missing["error"] == "dns-not-found");

  auto slow = json_run(
      {"--dns-servers", dns.server(), "--dns-timeout", "0.5", "http://slow.test:" + port + "/"});
  CHECK(slow["error"] == "dns-timeout");
  CHECK(std::stod(slow["time_total"]) >= 0.4);
  CHECK(std::stod(slow["time_total"]) < 0.5 + kSlack);
  CHECK(server.stats().requests == 1);
}

TEST_CASE("option --connect-timeout: a connect that hangs is a connect-timeout") {
  testing::FullListener listener;
  std::string url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/";
  e2e::Finished run = e2e::run({"--json", "--connect-timeout", "0.5", url});
  auto lines = records::lines(run.out);
  REQUIRE(lines.size() == 1);
  auto record = records::parse_json_object(lines[0]);
  CHECK(record["error"] == "connect-timeout");
  CHECK(std::stod(record["time_total"]) >= 0.4);
  CHECK(std::stod(record["time_total"]) < 0.5 + kSlack);
  CHECK(run.status == 1);
}

TEST_CASE("option --stall-timeout and -t against the fault server") {
  testing::FaultServer faults;
  auto stalled =
      json_run({"--stall-timeout", "0.5", faults.url(testing::Fault::stall_after_headers)});
  CHECK(stalled["error"] == "stall-timeout");
  CHECK(stalled["status"] == "200");
  CHECK(stalled["bytes"] == "0");
  CHECK(std::stod(stalled["time_total"]) < 0.5 + kSlack);
  // A body that keeps coming never stalls: the total limit ends it.
  auto endless = json_run(
      {"--stall-timeout", "0.3", "--timeout", "0.6", faults.url(testing::Fault::endless_body)});
  CHECK(endless["error"] == "timeout");
  CHECK(std::stod(endless["time_total"]) < 0.6 + kSlack);
  auto silent = json_run({"-t", "0.5", faults.url(testing::Fault::silent)});
  CHECK(silent["error"] == "timeout");
  CHECK(std::stod(silent["time_total"]) < 0.5 + kSlack);
}

TEST_CASE("option -d @FILE sends the file, -X sets the method") {
  testing::HttpServer server;
  std::string body(1234, 'z');
  std::string path = write_temp(body);
  char dir[] = "/tmp/gfetch-e2e-net-out-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  auto record = json_run({"-o", dir, "-X", "PUT", "-d", "@" + path, server.url("/headers")});
  CHECK(record["status"] == "200");
  CHECK(read_file(record["file"]).find("Content-Length: 1234\n") != std::string::npos);
  std::filesystem::remove_all(dir);
  std::filesystem::remove(path);
  e2e::Finished missing = e2e::run({"-d", "@/nonexistent/gfetch-body", server.url("/bytes/1")});
  CHECK(missing.status == 2);
  CHECK(missing.err.find("--data") != std::string::npos);
  CHECK(server.stats().requests == 1);
}

TEST_CASE("option --fail: a 404 exits 1 with it, 0 without") {
  testing::HttpServer server;
  e2e::Finished plain = e2e::run({server.url("/status/404")});
  CHECK(plain.status == 0);
  CHECK(plain.out.find("\t404\t") != std::string::npos);
  e2e::Finished failed = e2e::run({"--fail", server.url("/status/404")});
  CHECK(failed.status == 1);
  CHECK(failed.out.find("\t404\t") != std::string::npos);
  CHECK(failed.out.find("http-error") != std::string::npos);
}
