// Self-tests of the loopback test servers (tests/support): each HttpServer route
// and each FaultServer fault checked byte for byte with plain blocking POSIX
// sockets and short timeouts, so a failure here points at the server, not at curl.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/content.hpp"
#include "support/fault_server.hpp"
#include "support/http_server.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A blocking TCP connection to a loopback server; closed with the object.
class Socket {
 public:
  Socket(const std::string& host, std::uint16_t port,
         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      len = sizeof(sockaddr_in);
    } else {
      REQUIRE(inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1);
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      len = sizeof(sockaddr_in6);
    }
    fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    set_timeout(timeout);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  void set_timeout(std::chrono::milliseconds timeout) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  void send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One recv(): the bytes read, or empty with `error` set (0 = EOF, EAGAIN = timeout).
  std::string read_some(int& error, std::size_t max = 65536) {
    std::string buf(max, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    error = n < 0 ? errno : 0;
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
  }

  // Reads until EOF, an error or `limit` bytes; `error` as for read_some.
  std::string read_until_end(int& error, std::size_t limit = std::size_t(1) << 30) {
    std::string all;
    while (all.size() < limit) {
      std::string part = read_some(error);
      if (part.empty()) return all;
      all += part;
    }
    return all;
  }

  // Reads until the blank line that ends the response headers; returns all bytes read.
  std::string read_head(int& error) {
    std::string all;
    while (all.find("\r\n\r\n") == std::string::npos) {
      std::string part = read_some(error);
      if (part.empty()) return all;
      all += part;
    }
    return all;
  }

 private:
  int fd_ = -1;
};

std::string dechunk(std::string_view body) {
  std::string out;
  for (;;) {
    std::size_t eol = body.find("\r\n");
    REQUIRE(eol != std::string_view::npos);
    std::size_t size = std::stoul(std::string(body.substr(0, eol)), nullptr, 16);
    body.remove_prefix(eol + 2);
    if (size == 0) return out;
    REQUIRE(body.size() >= size + 2);
    out.append(body.substr(0, size));
    REQUIRE(body.substr(size, 2) == "\r\n");
    body.remove_prefix(size + 2);
  }
}

struct Reply {
  int status = 0;
  std::string head;  // status line and header lines, without the blank line
  std::string body;  // de-chunked when the response was chunked

  // The value of the first header with this name (case-sensitive), or "".
  std::string header(std::string_view name) const {
    std::string key = "\r\n" + std::string(name) + ": ";
    std::size_t at = head.find(key);
    if (at == std::string::npos) return "";
    std::size_t start = at + key.size();
    return head.substr(start, head.find("\r\n", start) - start);
  }
};

Reply parse(const std::string& raw) {
  Reply r;
  std::size_t end = raw.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  r.head = raw.substr(0, end) + "\r\n";
  r.body = raw.substr(end + 4);
  REQUIRE(r.head.rfind("HTTP/1.1 ", 0) == 0);
  r.status = std::stoi(r.head.substr(9, 3));
  if (r.header("Transfer-Encoding") == "chunked") r.body = dechunk(r.body);
  return r;
}

// One request on a fresh connection (Connection: close), read to EOF.
Reply request(const std::string& host, std::uint16_t port, std::string_view target,
              std::string_view method = "GET", std::string_view extra_headers = "") {
  Socket s(host, port);
  s.send_all(std::string(method) + " " + std::string(target) +
             " HTTP/1.1\r\nHost: " + testing::url_authority(host, port) +
             "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n");
  int error = 0;
  std::string raw = s.read_until_end(error);
  REQUIRE(error == 0);
  return parse(raw);
}

Reply get(const testing::HttpServer& server, std::string_view target) {
  return request(server.host(), server.port(), target);
}

// A GET for threads other than the test's: Catch2's assertions are not
// thread-safe, so this reports any failure as status -1 instead.
int status_from_thread(const testing::HttpServer& server, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string raw;
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<std::size_t>(n));
  }
  if (fd >= 0) ::close(fd);
  return raw.rfind("HTTP/1.1 ", 0) == 0 && raw.size() >= 12 ? std::stoi(raw.substr(9, 3)) : -1;
}

bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

TEST_CASE("HttpServer: address and URLs") {
  testing::HttpServer server;
  CHECK(server.port() != 0);
  CHECK(server.host() == "127.0.0.1");
  CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
  CHECK(server.url("/bytes/1") == server.base_url() + "/bytes/1");
  Reply r = get(server, "/");
  CHECK(r.status == 200);
  CHECK(r.body.find("/bytes/N") != std::string::npos);
}

TEST_CASE("HttpServer: /bytes/N sends N pattern bytes with Content-Length") {
  testing::HttpServer server;
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{26}, std::size_t{65521}, std::size_t{300000}}) {
    Reply r = get(server, "/bytes/" + std::to_string(n));
    CHECK(r.status == 200);
    CHECK(r.header("Content-Length") == std::to_string(n));
    CHECK(r.header("Content-Type") == "application/octet-stream");
    CHECK(r.body == testing::pattern(n));
  }
  CHECK(get(server, "/bytes/abc").status == 404);
  CHECK(get(server, "/bytes/-1").status == 404);
  CHECK(get(server, "/bytes/").status == 404);
}

TEST_CASE("HttpServer: HEAD has the GET headers and no body") {
  testing::HttpServer server;
  Reply r = request(server.host(), server.port(), "/bytes/100", "HEAD");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Length") == "100");
  CHECK(r.body.empty());
}

TEST_CASE("HttpServer: /status/CODE") {
  testing::HttpServer server;
  Reply r = get(server, "/status/503");
  CHECK(r.status == 503);
  CHECK(r.head.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
  CHECK(r.body == "status 503\n");
  CHECK(get(server, "/status/418").status == 418);
  Reply empty = get(server, "/status/204");
  CHECK(empty.status == 204);
  CHECK(empty.body.empty());
  CHECK(get(server, "/status/99").status == 404);
  CHECK(get(server, "/status/600").status == 404);
}

TEST_CASE("HttpServer: /delay/MS answers after MS without blocking other requests") {
  testing::HttpServer server;
  auto start = Clock::now();
  std::vector<std::thread> clients;
  std::vector<int> statuses(8, 0);
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] { statuses[i] = status_from_thread(server, "/delay/1000"); });
  }
  auto deadline = Clock::now() + 900ms;
  while (server.stats().in_flight < 8 && Clock::now() < deadline) std::this_thread::sleep_for(2ms);
  CHECK(server.stats().in_flight == 8);
  auto quick_start = Clock::now();
  Reply quick = get(server, "/bytes/1");  // served while the delays are pending
  auto quick_time = Clock::now() - quick_start;
  for (auto& t : clients) t.join();
  auto elapsed = Clock::now() - start;
  CHECK(quick.status == 200);
  CHECK(quick_time < 500ms);
  CHECK(elapsed >= 1000ms);
  CHECK(elapsed < 3000ms);  // concurrent, not 8 x 1000 ms
  for (int status : statuses) CHECK(status == 200);
  testing::Stats stats = server.stats();
  CHECK(stats.max_in_flight == 9);
  CHECK(stats.in_flight == 0);
  CHECK(stats.count("/delay/1000") == 8);
  CHECK(get(server, "/delay/0").body == "delay 0\n");
}

TEST_CASE("HttpServer: /redirect chains") {
  testing::HttpServer server;
  std::string self = server.authority();

  Reply r = get(server, "/redirect/3");
  CHECK(r.status == 302);
  CHECK(r.header("Location") == "/redirect/2");
  CHECK(get(server, "/redirect/1").header("Location") == "/bytes/16");

  CHECK(get(server, "/relative-redirect/3").header("Location") == "2");
  CHECK(get(server, "/relative-redirect/1").header("Location") == "../bytes/16");

  CHECK(get(server, "/absolute-redirect/2").header("Location") ==
        "http://" + self + "/absolute-redirect/1");
  CHECK(get(server, "/absolute-redirect/1").header("Location") == "http://" + self + "/bytes/16");
  // The absolute form follows the request's Host, so name-based tests stay on their name.
  Socket named(server.host(), server.port());
  named.send_all(
      "GET /absolute-redirect/2 HTTP/1.1\r\nHost: test.example:81\r\n"
      "Connection: close\r\n\r\n");
  int error = 0;
  CHECK(parse(named.read_until_end(error)).header("Location") ==
        "http://test.example:81/absolute-redirect/1");

  Reply code = get(server, "/redirect/2?code=307");
  CHECK(code.status == 307);
  CHECK(code.header("Location") == "/redirect/1?code=307");
  CHECK(get(server, "/redirect/2?code=200").status == 400);
  CHECK(get(server, "/redirect/0").status == 404);

  Reply to = get(server, "/redirect-to?url=http%3A%2F%2Fexample.invalid%2Fa%3Fb%3Dc");
  CHECK(to.status == 302);
  CHECK(to.header("Location") == "http://example.invalid/a?b=c");
  CHECK(get(server, "/redirect-to?url=/bytes/1&code=301").status == 301);
  CHECK(get(server, "/redirect-to").status == 400);

  Reply loop = get(server, "/redirect-loop");
  CHECK(loop.status == 302);
  CHECK(loop.header("Location") == "/redirect-loop");
}

TEST_CASE("HttpServer: /headers echoes the request headers in order") {
  testing::HttpServer server;
  Reply r = request(server.host(), server.port(), "/headers", "GET",
                    "X-First: one\r\nX-Second: two words\r\n");
  std::string expected =
      "Host: " + server.authority() + "\nConnection: close\nX-First: one\nX-Second: two words\n";
  CHECK(r.body == expected);
}

TEST_CASE("HttpServer: /gzip/N decodes to N pattern bytes") {
  testing::HttpServer server;
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, std::size_t{200000}}) {
    Reply r = get(server, "/gzip/" + std::to_string(n));
    CHECK(r.status == 200);
    CHECK(r.header("Content-Encoding") == "gzip");
    CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
    CHECK(testing::gunzip(r.body) == testing::pattern(n));
  }
}

TEST_CASE("HttpServer: /drip spreads N bytes over M ms chunked") {
  testing::HttpServer server;
  Socket s(server.host(), server.port());
  auto start = Clock::now();
  s.send_all("GET /drip?bytes=5&ms=500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  int error = 0;
  std::string head = s.read_head(error);
  auto headers_at = Clock::now() - start;
  std::string rest = s.read_until_end(error);
  auto done_at = Clock::now() - start;
  Reply r = parse(head + rest);
  CHECK(r.status == 200);
  CHECK(r.header("Transfer-Encoding") == "chunked");
  CHECK(r.body == testing::pattern(5));
  CHECK(headers_at < 90ms);  // headers at once, first byte after 100 ms
  CHECK(done_at >= 500ms);
  CHECK(done_at < 1500ms);

  CHECK(get(server, "/drip?bytes=100000&ms=50").body == testing::pattern(100000));
  CHECK(get(server, "/drip?bytes=0&ms=0").body.empty());
  CHECK(get(server, "/drip?bytes=x").status == 400);
}

TEST_CASE("HttpServer: a client leaving mid-drip or mid-delay is cleaned up") {
  testing::HttpServer server;
  {
    Socket s(server.host(), server.port());
    s.send_all("GET /drip?bytes=40&ms=400 HTTP/1.1\r\nHost: x\r\n\r\n");
    int error = 0;
    s.read_head(error);
    Socket d(server.host(), server.port());
    d.send_all("GET /delay/100 HTTP/1.1\r\nHost: x\r\n\r\n");
  }  // both clients close here
  auto deadline = Clock::now() + 3s;
  while (server.stats().in_flight != 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  CHECK(server.stats().in_flight == 0);
  CHECK(get(server, "/bytes/3").body == "abc");
}

TEST_CASE("HttpServer: stopping with requests pending returns promptly") {
  auto start = Clock::now();
  {
    testing::HttpServer server;
    Socket a(server.host(), server.port());
    a.send_all("GET /delay/60000 HTTP/1.1\r\nHost: x\r\n\r\n");
    Socket b(server.host(), server.port());
    b.send_all("GET /drip?bytes=10&ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n");
    int error = 0;
    b.read_head(error);
    auto deadline = Clock::now() + 2s;
    while (server.stats().in_flight < 2 && Clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    CHECK(server.stats().in_flight == 2);
    server.stop();
    server.stop();                        // idempotent
    CHECK(server.stats().requests == 2);  // counters outlive stop()
  }
  CHECK(Clock::now() - start < 2s);
}

TEST_CASE("HttpServer: /flaky fails K times per id then succeeds") {
  testing::HttpServer server;
  for (int i = 0; i < 2; ++i) {
    Reply r = get(server, "/flaky?id=a&fail=2");
    CHECK(r.status == 503);
    CHECK(r.header("Retry-After") == "0");
  }
  CHECK(get(server, "/flaky?id=a&fail=2").status == 200);
  CHECK(get(server, "/flaky?id=a&fail=2").status == 200);
  CHECK(get(server, "/flaky?id=b&fail=1&code=429").status == 429);
  CHECK(get(server, "/flaky?id=b&fail=1&code=429").status == 200);
  CHECK(get(server, "/flaky?fail=1").status == 400);
  server.reset_stats();  // also forgets the ids
  CHECK(get(server, "/flaky?id=a&fail=1").status == 503);
}

TEST_CASE("HttpServer: /stats counts requests paths and connections") {
  testing::HttpServer server;
  get(server, "/bytes/1");
  get(server, "/bytes/1?x=y");
  get(server, "/nope");
  {  // two requests on one keep-alive connection
    Socket s(server.host(), server.port());
    s.send_all("GET /bytes/2 HTTP/1.1\r\nHost: x\r\n\r\n");
    int error = 0;
    std::string first = s.read_head(error);
    CHECK(first.find("\r\n\r\nab") != std::string::npos);
    s.send_all("GET /bytes/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.read_until_end(error);
  }
  testing::Stats stats = server.stats();
  CHECK(stats.requests == 5);
  CHECK(stats.connections == 4);
  CHECK(stats.count("/bytes/1") == 2);
  CHECK(stats.count("/bytes/2") == 2);
  CHECK(stats.count("/nope") == 1);
  CHECK(stats.in_flight == 0);
  CHECK(stats.max_in_flight == 1);

  Reply json = get(server, "/stats");
  CHECK(json.header("Content-Type") == "application/json");
  CHECK(json.body ==
        "{\"requests\":5,\"connections\":5,\"in_flight\":0,\"max_in_flight\":1,\"paths\":{"
        "\"/bytes/1\":2,\"/bytes/2\":2,\"/nope\":1}}\n");
  CHECK(get(server, "/stats/reset").body == "reset\n");
  CHECK(server.stats().requests == 0);
  CHECK(get(server, "/stats").body.rfind("{\"requests\":0,\"connections\":1,", 0) == 0);
}

TEST_CASE("HttpServer: the link sites and robots.txt") {
  testing::HttpServer server;
  std::string self = server.authority();
  Reply page = get(server, "/links/4/1");
  CHECK(page.status == 200);
  CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
  for (const std::string& href :
       {std::string("href=\"/links/4/0\""), std::string("href=\"1\""),
        "href=\"http://" + self + "/links/4/2\"", std::string("href=\"/links/4/3\""),
        std::string("href=\"/private/1\""), std::string("href=\"http://external.invalid/page/1\""),
        std::string("href=\"/outside/1\""), std::string("href=\"#top\""),
        std::string("href=\"mailto:nobody@example.invalid\"")}) {
    CHECK(page.body.find(href) != std::string::npos);
  }
  CHECK(get(server, "/links/4/4").status == 404);
  CHECK(get(server, "/links/0/0").status == 404);

  Reply tree = get(server, "/tree/10/3/1");  // parent 0, children 4 5 6
  CHECK(tree.body.find("href=\"/tree/10/3/0\"") != std::string::npos);
  CHECK(tree.body.find("href=\"4\"") != std::string::npos);
  CHECK(tree.body.find("href=\"http://" + self + "/tree/10/3/5\"") != std::string::npos);
  CHECK(tree.body.find("href=\"/tree/10/3/6\"") != std::string::npos);
  CHECK(tree.body.find("/tree/10/3/7\"") == std::string::npos);
  Reply leaf = get(server, "/tree/10/3/9");  // parent 2, no children
  CHECK(leaf.body.find("href=\"http://" + self + "/tree/10/3/2\"") != std::string::npos);
  CHECK(leaf.body.find("<li>") == leaf.body.rfind("<li>"));

  CHECK(get(server, "/robots.txt").body ==
        "# gfetch test server\nUser-agent: *\nDisallow: /private/\n");
  CHECK(get(server, "/private/7").body == "private\n");
  CHECK(get(server, "/outside/7").body == "outside\n");
}

TEST_CASE("HttpServer: serves on ::1") {
  if (!ipv6_loopback_available()) {
    WARN("no IPv6 loopback here; skipped");
    return;
  }
  testing::HttpServer server({"::1", 0});
  CHECK(server.base_url() == "http://[::1]:" + std::to_string(server.port()));
  CHECK(get(server, "/bytes/4").body == "abcd");
}

TEST_CASE("HttpServer: a port in use is an exception") {
  testing::HttpServer first;
  CHECK_THROWS_AS(testing::HttpServer({"127.0.0.1", first.port()}), std::system_error);
  CHECK_THROWS_AS(testing::HttpServer({"localhost", 0}), std::invalid_argument);
}

// ---- FaultServer ----

namespace {

// Connects to a fault and sends its request.
std::unique_ptr<Socket> ask(const testing::FaultServer& server, testing::Fault fault) {
  auto s = std::make_unique<Socket>(server.host(), server.port(), std::chrono::milliseconds(2000));
  s->send_all("GET " + std::string(testing::fault_path(fault)) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  return s;
}

std::string body_after_head(const std::string& raw) {
  std::size_t end = raw.find("\r\n\r\n");
  return end == std::string::npos ? "" : raw.substr(end + 4);
}

}  // namespace

TEST_CASE("FaultServer: silent never answers") {
  testing::FaultServer server;
  auto s = ask(server, testing::Fault::silent);
  s->set_timeout(300ms);
  int error = 0;
  CHECK(s->read_some(error).empty());
  CHECK((error == EAGAIN || error == EWOULDBLOCK));
  CHECK(server.hits(testing::Fault::silent) == 1);
  CHECK(server.connections() == 1);
}

TEST_CASE("FaultServer: stall-after-headers sends headers then nothing") {
  testing::FaultServer server;
  auto s = ask(server, testing::Fault::stall_after_headers);
  int error = 0;
  std::string head = s->read_head(error);
  CHECK(head ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: 1048576\r\n\r\n");
  s->set_timeout(300ms);
  CHECK(s->read_some(error).empty());
  CHECK((error == EAGAIN || error == EWOULDBLOCK));
}

TEST_CASE("FaultServer: reset-mid-body and close-mid-body cut a 1 MiB body after 4096 bytes") {
  testing::FaultServer server;
  for (auto [fault, expected_error] : {std::pair{testing::Fault::reset_mid_body, ECONNRESET},
                                       std::pair{testing::Fault::close_mid_body, 0}}) {
    auto s = ask(server, fault);
    int error = -1;
    std::string raw = s->read_until_end(error);
    CHECK(raw.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(raw.find("\r\nContent-Length: 1048576\r\n") != std::string::npos);
    CHECK(body_after_head(raw) == testing::pattern(4096));
    CHECK(error == expected_error);
  }
}

TEST_CASE("FaultServer: close-before-headers closes without a byte") {
  testing::FaultServer server;
  auto s = ask(server, testing::Fault::close_before_headers);
  int error = -1;
  CHECK(s->read_until_end(error).empty());
  CHECK(error == 0);
}

TEST_CASE("FaultServer: malformed status line and headers are exact bytes") {
  testing::FaultServer server;
  int error = -1;
  CHECK(ask(server, testing::Fault::bad_status_line)->read_until_end(error) ==
        "HTTP/1.1 2x0 Broken\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  CHECK(error == 0);
  CHECK(ask(server, testing::Fault::bad_headers)->read_until_end(error) ==
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nThis line has no colon\r\n\r\nok");
  CHECK(error == 0);
}

TEST_CASE("FaultServer: endless-body keeps sending the pattern") {
  testing::FaultServer server;
  auto s = ask(server, testing::Fault::endless_body);
  int error = 0;
  std::string raw = s->read_until_end(error, 8 << 20);
  CHECK(raw.rfind("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                  "Connection: close\r\n\r\n",
                  0) == 0);
  std::string body = body_after_head(raw);
  CHECK(body.size() >= (std::size_t(8) << 20) - 100);
  CHECK(body == testing::pattern(body.size()));
}

TEST_CASE("FaultServer: endless-headers sends 100 MiB of header lines") {
  testing::FaultServer server;
  auto s = ask(server, testing::Fault::endless_headers);
  int error = -1;
  std::string raw = s->read_until_end(error, std::size_t(200) << 20);
  CHECK(error == 0);
  CHECK(raw.size() >= (std::size_t(100) << 20));
  CHECK(raw.rfind("HTTP/1.1 200 OK\r\nX-Filler-0000000000: xxx", 0) == 0);
  CHECK(raw.find("\r\n\r\n") == raw.size() - 4);  // the only blank line is the last
}

TEST_CASE("FaultServer: unknown paths get 404 and stop() is prompt") {
  testing::FaultServer server;
  CHECK(server.url(testing::Fault::reset_mid_body) ==
        "http://127.0.0.1:" + std::to_string(server.port()) + "/reset-mid-body");
  Reply r = request(server.host(), server.port(), "/nope");
  CHECK(r.status == 404);
  auto held = ask(server, testing::Fault::silent);  // stop() must not wait for it
  auto start = Clock::now();
  server.stop();
  server.stop();
  CHECK(Clock::now() - start < 1s);
  int error = -1;
  CHECK(held->read_until_end(error).empty());  // closed by stop()
}
