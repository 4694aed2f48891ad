// net::Client against the loopback HttpServer: byte counts and body sinks, methods
// and headers, gzip, size limits, 1,000 concurrent fetches from a green::Pool,
// connection reuse and limits, redirects (methods, credentials, loops) and the
// failures that are plain values (bad URLs, refused connections).
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/pool.hpp"
#include "green/socket.hpp"
#include "net/client.hpp"
#include "net/detail/transfer.hpp"
#include "net/error.hpp"
#include "net/url.hpp"
#include "support/content.hpp"
#include "support/http_server.hpp"
#include "support/loopback.hpp"

using gfetch::net::BodySink;
using gfetch::net::Client;
using gfetch::net::errc;
using gfetch::net::Request;
using gfetch::net::Response;

namespace {

Request get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

Request keep(std::string url) {
  Request request = get(std::move(url));
  request.sink = BodySink::memory();
  return request;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// CPU seconds (user + system) this process has used.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

TEST_CASE("a GET is counted without keeping the body", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  Response response = client.fetch(get(server.url("/bytes/1000")));
  INFO(response.error_message);
  REQUIRE(response.ok());
  CHECK(response.status == 200);
  CHECK(response.bytes_received == 1000);
  CHECK(response.bytes_on_wire > 1000);
  CHECK(response.body.empty());
  CHECK(response.url == server.url("/bytes/1000"));
  CHECK(response.redirects == 0);
  CHECK(response.http_version == "1.1");
  CHECK(response.remote_ip == "127.0.0.1");
  CHECK(response.remote_port == server.port());
  CHECK(response.header("content-length") != nullptr);
  CHECK(*response.header("Content-Length") == "1000");
  CHECK(response.timings.total > 0);
  CHECK(response.timings.total >= response.timings.first_byte);
}

TEST_CASE("the memory and file sinks keep the body", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);

  Response kept = client.fetch(keep(server.url("/bytes/5000")));
  REQUIRE(kept.ok());
  CHECK(kept.body == testing::pattern(5000));
  CHECK(kept.bytes_received == 5000);

  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("gfetch-client-test-" + std::to_string(::getpid()));
  Request to_file = get(server.url("/bytes/300000"));
  to_file.sink = BodySink::file(path.string());
  Response written = client.fetch(to_file);
  REQUIRE(written.ok());
  CHECK(written.body.empty());
  CHECK(written.bytes_received == 300000);
  CHECK(read_file(path) == testing::pattern(300000));
  std::filesystem::remove(path);

  to_file.sink = BodySink::file("/nonexistent-dir/gfetch/out");
  Response unwritable = client.fetch(to_file);
  CHECK(unwritable.error == errc::write_failed);
}

TEST_CASE("HTTP error statuses are responses, not failures", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  for (int status : {204, 404, 500, 503}) {
    Response response = client.fetch(get(server.url("/status/" + std::to_string(status))));
    CHECK(response.ok());
    CHECK(response.status == status);
  }
}

TEST_CASE("headers, user agent and methods are sent", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client::Options options;
  options.user_agent = "client-default/1";
  Client client(hub, options);

  Request request = keep(server.url("/headers"));
  request.headers = {{"X-Test", "one"}, {"Accept", "text/plain"}};
  Response echoed = client.fetch(request);
  REQUIRE(echoed.ok());
  CHECK(echoed.body.find("X-Test: one\n") != std::string::npos);
  CHECK(echoed.body.find("Accept: text/plain\n") != std::string::npos);
  CHECK(echoed.body.find("User-Agent: client-default/1\n") != std::string::npos);

  request.user_agent = "probe/2";
  CHECK(client.fetch(request).body.find("User-Agent: probe/2\n") != std::string::npos);

  // Exactly one User-Agent, whichever way it is set; a request's own header wins.
  auto agents = [&](const Request& r) {
    std::vector<std::string> found;  // the values, whatever the name's case
    std::string body = client.fetch(r).body;
    std::string lowered = body;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::size_t at = lowered.find("user-agent: "); at != std::string::npos;
         at = lowered.find("user-agent: ", at + 1)) {
      const std::size_t value = at + 12;
      found.push_back(body.substr(value, body.find('\n', value) - value));
    }
    return found;
  };
  const std::vector<std::string> default_agent{"client-default/1"};
  CHECK(agents(keep(server.url("/headers"))) == default_agent);
  request.user_agent.reset();
  CHECK(agents(request) == default_agent);  // with headers of its own
  request.headers.push_back({"user-agent", "mine/3"});
  CHECK(agents(request) == std::vector<std::string>{"mine/3"});
  request.headers.pop_back();
  request.user_agent = "";  // none at all
  CHECK(agents(request).empty());
  Request bare = keep(server.url("/headers"));
  bare.user_agent = "";
  CHECK(agents(bare).empty());
  CHECK(agents(keep(server.url("/headers"))) == default_agent);  // pooled handles forget
  for (int i = 0; i < 12; ++i) {  // more agents than the client keeps lists for
    bare.user_agent = "agent/" + std::to_string(i);
    CHECK(agents(bare) == std::vector<std::string>{*bare.user_agent});
  }
  CHECK(agents(keep(server.url("/headers"))) == default_agent);

  Request head = get(server.url("/bytes/100"));
  head.method = "HEAD";
  Response headed = client.fetch(head);
  REQUIRE(headed.ok());
  CHECK(headed.status == 200);
  CHECK(headed.bytes_received == 0);

  // A POST on the handle that just did the HEAD: its response has a body again.
  Request post = keep(server.url("/headers"));
  post.method = "POST";
  post.body = "hello";
  Response posted = client.fetch(post);
  REQUIRE(posted.ok());
  CHECK(posted.body.find("Content-Length: 5\n") != std::string::npos);

  // The same pooled handles serve a GET again: nothing of the POST carries over.
  Response after = client.fetch(keep(server.url("/headers")));
  CHECK(after.body.find("Content-Length") == std::string::npos);
}

TEST_CASE("gzip bodies are decoded and counted decoded", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  const std::size_t size = 100000;

  Request decoded = keep(server.url("/gzip/" + std::to_string(size)));
  decoded.accept_encoding = "";
  Response response = client.fetch(decoded);
  REQUIRE(response.ok());
  CHECK(response.bytes_received == size);
  CHECK(response.body == testing::pattern(size));
  CHECK(response.bytes_on_wire < size / 10);

  Response raw = client.fetch(keep(server.url("/gzip/" + std::to_string(size))));
  REQUIRE(raw.ok());
  CHECK(raw.bytes_received == testing::gzip_pattern(size).size());
  CHECK(testing::gunzip(raw.body) == testing::pattern(size));
}

TEST_CASE("a body over the cap is body_too_large and the client stays usable", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);

  Request capped = get(server.url("/bytes/100000"));
  capped.max_body_size = 1000;
  Response over = client.fetch(capped);
  CHECK(over.error == errc::body_too_large);
  CHECK(over.bytes_received <= 1000);

  Request exact = get(server.url("/bytes/1000"));
  exact.max_body_size = 1000;
  CHECK(client.fetch(exact).ok());

  Request kept = keep(server.url("/bytes/100000"));
  kept.sink = BodySink::memory(4096);
  Response memory = client.fetch(kept);
  CHECK(memory.error == errc::body_too_large);
  CHECK(memory.body.size() <= 4096);

  Response after = client.fetch(get(server.url("/bytes/10")));
  CHECK(after.ok());
  CHECK(after.bytes_received == 10);
}

TEST_CASE("1,000 concurrent fetches from a pool complete with exact byte counts", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  constexpr std::size_t kFetches = 1000;
  auto size_of = [](std::size_t i) { return static_cast<std::uint64_t>(i * 37 % 5000 + 1); };

  std::vector<Response> responses(kFetches);
  green::Pool pool(kFetches);
  for (std::size_t i = 0; i < kFetches; ++i) {
    pool.spawn([&, i] {
      responses[i] = client.fetch(get(server.url("/bytes/" + std::to_string(size_of(i)))));
    });
  }
  pool.join();
  std::uint64_t total = 0;
  std::uint64_t expected = 0;
  std::size_t failures = 0;
  for (std::size_t i = 0; i < kFetches; ++i) {
    if (!responses[i].ok() || responses[i].bytes_received != size_of(i)) ++failures;
    total += responses[i].bytes_received;
    expected += size_of(i);
  }
  CHECK(failures == 0);
  CHECK(total == expected);
  CHECK(server.stats().requests == kFetches);
  CHECK(client.stats().in_flight == 0);
  CHECK(client.stats().fetches == kFetches);

  // They really overlap: 1,000 half-second responses take about half a second.
  server.reset_stats();
  hub.update_now();
  double started = hub.now();
  for (std::size_t i = 0; i < kFetches; ++i) {
    pool.spawn([&, i] { responses[i] = client.fetch(get(server.url("/delay/500"))); });
  }
  pool.join();
  hub.update_now();
  std::size_t ok = 0;
  for (const Response& response : responses) ok += response.ok() && response.status == 200;
  CHECK(ok == kFetches);
  CHECK(hub.now() - started < 10);
  CHECK(server.stats().max_in_flight >= 500);
}

TEST_CASE("sequential fetches reuse one connection", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  for (int i = 0; i < 200; ++i) {
    Response response = client.fetch(get(server.url("/bytes/100")));
    REQUIRE(response.ok());
  }
  CHECK(client.stats().transfers == 200);
  CHECK(client.stats().connections_opened == 1);
  CHECK(server.stats().connections == 1);
}

TEST_CASE("an idle connection closed by the server costs no CPU", "[client]") {
  auto server = std::make_unique<testing::HttpServer>();
  green::Hub hub;
  Client client(hub);
  std::string url = server->url("/bytes/10");
  REQUIRE(client.fetch(get(url)).ok());
  server.reset();  // closes the kept-alive connection: its socket reads EOF from now on
  double before = cpu_seconds();
  green::sleep(0.5);
  CHECK(cpu_seconds() - before < 0.25);  // a watcher left on the EOF would spin the hub

  Response refused = client.fetch(get(url));  // the dead connection is not reused
  CHECK(refused.error == errc::connect_refused);
  // libcurl's "Couldn't connect to server" gives way to the system's reason.
  CHECK_THAT(refused.error_message, Catch::Matchers::EndsWith(": Connection refused"));
  testing::HttpServer other;
  CHECK(client.fetch(get(other.url("/bytes/10"))).ok());
}

TEST_CASE(
    "a server that closes each kept-alive connection as the next request comes costs no fetch",
    "[client]") {
  // The server (a greenlet on the fetching hub) answers without "Connection: close"
  // and closes the connection a few hub turns later: the client's next request
  // meets the close, before or after libcurl's check that the idle connection is
  // alive. libcurl retries such a request on a new connection, at most 5 times,
  // counted per easy handle for its life unless the handle is reset: a pooled
  // handle that has retried must come back reset, or the 7th fetch here fails
  // ("Recv failure: Connection reset by peer").
  constexpr int kFetches = 20;
  const int turns_before_close = GENERATE(0, 1, 2, 3, 4);
  green::Hub hub;
  green::Socket listener = green::Socket::listen("127.0.0.1", 0);
  int answered = 0;
  auto serving = green::spawn([&] {
    for (;;) {
      green::Socket connection = listener.accept().first;
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos) {
        std::string more = connection.recv(4096, 10.0);
        if (more.empty()) break;
        request += more;
      }
      if (request.find("\r\n\r\n") == std::string::npos) continue;  // the client left
      connection.sendall("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 10.0);
      ++answered;
      for (int turn = 0; turn < turns_before_close; ++turn) green::sleep(0);
    }  // closes the connection
  });
  Client client(hub);
  Request request = get("http://127.0.0.1:" + std::to_string(listener.local_port()) + "/");
  for (int i = 0; i < kFetches; ++i) {
    Response response = client.fetch(request);
    INFO("turns before the close: " << turns_before_close << "; fetch " << i << ": "
                                    << response.error_message);
    REQUIRE(response.ok());
    CHECK(response.bytes_received == 2);
  }
  CHECK(answered == kFetches);
  serving->kill();
}

TEST_CASE("waves of concurrent fetches reuse the first wave's connections", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  constexpr int kWave = 100;
  green::Pool pool(kWave);
  for (int wave = 0; wave < 5; ++wave) {
    for (int i = 0; i < kWave; ++i) {
      pool.spawn([&] { CHECK(client.fetch(get(server.url("/delay/20"))).ok()); });
    }
    pool.join();
  }
  CHECK(client.stats().transfers == 5 * kWave);
  CHECK(client.stats().connections_opened <= kWave);
  CHECK(server.stats().connections <= static_cast<std::uint64_t>(kWave));
}

TEST_CASE("waves wider than one multi handle's share still reuse every connection", "[client]") {
  // The client spreads transfers over several multi handles (libcurl's cache scans
  // are linear): a wave of 300 uses six, and the next waves must find the idle
  // connections where they were left.
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  constexpr int kWave = 300;
  green::Pool pool(kWave);
  for (int wave = 0; wave < 3; ++wave) {
    for (int i = 0; i < kWave; ++i) {
      pool.spawn([&] { CHECK(client.fetch(get(server.url("/delay/50"))).ok()); });
    }
    pool.join();
  }
  CHECK(client.stats().transfers == 3 * kWave);
  CHECK(server.stats().max_in_flight > 32);
  CHECK(client.stats().connections_opened <= kWave);
  CHECK(server.stats().connections <= static_cast<std::uint64_t>(kWave));
}

TEST_CASE("keep_headers keeps only the headers named, and redirects work without Location",
          "[client][redirect]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  Request all = get(server.url("/bytes/10"));
  Response every = client.fetch(all);
  REQUIRE(every.ok());
  CHECK(every.headers.size() >= 3);

  Request some = get(server.url("/bytes/10"));
  some.keep_headers = std::vector<std::string>{"CONTENT-length", "X-Not-Sent"};
  Response kept = client.fetch(some);
  REQUIRE(kept.ok());
  REQUIRE(kept.headers.size() == 1);
  CHECK(kept.headers[0].name == "Content-Length");
  CHECK(kept.headers[0].value == "10");

  // The hops' bodies ("redirect to ...") are skipped: each status line is read
  // even when no header is kept.
  Request hops = get(server.url("/redirect/2"));
  hops.keep_headers = std::vector<std::string>{};
  hops.sink = gfetch::net::BodySink::memory();
  Response followed = client.fetch(hops);
  INFO(followed.error_message);
  REQUIRE(followed.ok());
  CHECK(followed.redirects == 2);
  CHECK(followed.url == server.url("/bytes/16"));
  CHECK(followed.headers.empty());
  CHECK(followed.status == 200);
  CHECK(followed.bytes_received == 16);
  CHECK(followed.body.size() == 16);
}

TEST_CASE("header lines: kept ones with their folding, Location, a new status resets", "[client]") {
  using gfetch::net::detail::record_header_line;
  green::Hub hub;
  gfetch::net::BodySink sink;
  gfetch::net::detail::BodyWriter writer(sink);
  const std::vector<std::string> keep{"x-kept", "Retry-After"};
  for (bool keep_all : {false, true}) {
    INFO("keep all: " << keep_all);
    gfetch::net::detail::Transfer transfer(hub, writer);
    transfer.want_headers(keep_all ? nullptr : &keep, true);
    for (const char* line :
         {"HTTP/1.1 100 Continue\r\n", "X-Kept: from the 1xx\r\n", "\r\n", "HTTP/1.1 302 Found\r\n",
          "Server: s\r\n", " folded onto a skipped header\r\n", "X-KEPT: a\r\n", "\t b \r\n",
          "retry-after: 5\r\n", "Location: /next\r\n", "1-not-a-letter: x\r\n", "\r\n"}) {
      record_header_line(transfer, line);
    }
    CHECK(transfer.status == 302);
    CHECK(transfer.location == "/next");
    CHECK(transfer.skip_body);  // a redirect that will be followed
    std::vector<std::string> got;
    for (const auto& header : transfer.headers) got.push_back(header.name + "=" + header.value);
    if (keep_all) {
      CHECK(got == std::vector<std::string>{"Server=s folded onto a skipped header", "X-KEPT=a b",
                                            "retry-after=5", "Location=/next", "1-not-a-letter=x"});
    } else {
      CHECK(got == std::vector<std::string>{"X-KEPT=a b", "retry-after=5"});
    }
  }
}

TEST_CASE("receive buffers share an 8 MiB budget, 1 KiB to 128 KiB each", "[client]") {
  using gfetch::net::detail::receive_buffer_size;
  CHECK(receive_buffer_size(0) == 128 * 1024);
  CHECK(receive_buffer_size(64) == 128 * 1024);
  CHECK(receive_buffer_size(65) == 124 * 1024);  // 8 MiB / 65, in whole 4 KiB
  CHECK(receive_buffer_size(100) == 80 * 1024);  // a 64 KiB body with its headers
  CHECK(receive_buffer_size(1000) == 8 * 1024);
  CHECK(receive_buffer_size(2100) == 3 * 1024);  // 3,994 bytes: in whole KiB below 4 KiB
  CHECK(receive_buffer_size(5000) == 1024);
  CHECK(receive_buffer_size(1000000) == 1024);
}

TEST_CASE("libcurl's DNS cache is pruned by one transfer a minute per multi handle", "[client]") {
  using gfetch::net::detail::DnsCachePruning;
  DnsCachePruning pruning(1000.0);  // the multi handle's creation, on the hub's clock
  CHECK(pruning.timeout_for(1000.0) == -1);
  CHECK(pruning.timeout_for(1059.9) == -1);
  CHECK(pruning.timeout_for(1060.0) == DnsCachePruning::kSeconds);  // this one prunes
  CHECK(pruning.timeout_for(1060.0) == -1);                         // the rest do not
  CHECK(pruning.timeout_for(1119.9) == -1);
  CHECK(pruning.timeout_for(1500.0) == DnsCachePruning::kSeconds);  // after a quiet spell
  CHECK(pruning.timeout_for(1559.0) == -1);
  CHECK(pruning.timeout_for(1560.0) == DnsCachePruning::kSeconds);
}

TEST_CASE("stop_reusing_connections closes connections as their transfers end", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  auto round = [&](bool staggered) {  // 20 at once: each needs a connection of its own
    green::Pool pool(20);
    for (int i = 0; i < 20; ++i) {
      // staggered: one ends well before the rest (all connected by then).
      const int ms = !staggered ? 30 : i == 0 ? 100 : 400;
      const std::string path = "/delay/" + std::to_string(ms);
      pool.spawn([&, path] { CHECK(client.fetch(get(server.url(path))).ok()); });
    }
    pool.join();
  };
  round(false);
  CHECK(server.stats().connections == 20);
  round(false);  // reused
  CHECK(server.stats().connections == 20);
  client.stop_reusing_connections();
  // Applied as the first of these ends (every hop has its connection by then): the
  // idle ones are reused, then each closes as its transfer ends...
  round(true);
  CHECK(server.stats().connections == 20);
  round(false);  // ...but one (libcurl keeps at least one idle connection)
  CHECK(server.stats().connections == 39);
}

TEST_CASE("a pooled handle's URL parts follow each URL, stale parts never kept", "[client]") {
  gfetch::net::detail::UrlParts parts;
  // Each step changes some parts and leaves others: the handle must read back as
  // exactly the URL just set (a query left over, an old host or port would show).
  for (const char* text :
       {"http://a.example/x?q=1", "http://a.example/y", "http://a.example/y?r=2&s",
        "https://b.example:8443/z", "https://b.example:8443/z?q=1", "http://a.example/",
        "http://a.example:8080/deep/path/?", "http://127.0.0.1:1/"}) {
    INFO(text);
    std::optional<gfetch::net::Url> url = gfetch::net::parse_url(text);
    REQUIRE(url);
    CURLU* handle = parts.set(*url);
    REQUIRE(handle != nullptr);
    char* written = nullptr;
    REQUIRE(curl_url_get(handle, CURLUPART_URL, &written, CURLU_NO_DEFAULT_PORT) == CURLUE_OK);
    CHECK(std::string(written) == url->href);
    curl_free(written);
  }
  // IPv6 literals go to libcurl as text.
  std::optional<gfetch::net::Url> v6 = gfetch::net::parse_url("http://[::1]:8080/x");
  REQUIRE(v6);
  CHECK(parts.set(*v6) == nullptr);
}

TEST_CASE("connection limits per host and in total hold", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  for (bool per_host : {true, false}) {
    server.reset_stats();
    Client::Options options;
    (per_host ? options.max_connections_per_host : options.max_connections) = 2;
    Client client(hub, options);
    green::Pool pool(20);
    for (int i = 0; i < 20; ++i) {
      pool.spawn([&] { CHECK(client.fetch(get(server.url("/delay/30"))).ok()); });
    }
    pool.join();
    CHECK(server.stats().requests == 20);
    CHECK(server.stats().max_in_flight <= 2);
    CHECK(server.stats().connections <= 2);
  }
}

TEST_CASE("redirects are followed hop by hop", "[client][redirect]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  for (const char* kind : {"/redirect/3", "/relative-redirect/3", "/absolute-redirect/3"}) {
    Response response = client.fetch(get(server.url(kind)));
    INFO(kind << ": " << response.error_message);
    REQUIRE(response.ok());
    CHECK(response.status == 200);
    CHECK(response.redirects == 3);
    CHECK(response.url == server.url("/bytes/16"));
    CHECK(response.bytes_received == 16);
    CHECK(response.bytes_on_wire > 16 * 4);
  }

  Request manual = get(server.url("/redirect/2"));
  manual.redirects.follow = false;
  Response first = client.fetch(manual);
  CHECK(first.ok());
  CHECK(first.status == 302);
  CHECK(first.redirects == 0);
  REQUIRE(first.header("location") != nullptr);
  CHECK(*first.header("location") == "/redirect/1");

  Request loop = get(server.url("/redirect-loop"));
  loop.redirects.max_hops = 5;
  Response looped = client.fetch(loop);
  CHECK(looped.error == errc::too_many_redirects);
  CHECK(looped.redirects == 5);
  CHECK(looped.status == 302);

  Request exact = get(server.url("/redirect/3"));
  exact.redirects.max_hops = 3;
  CHECK(client.fetch(exact).ok());
  exact.redirects.max_hops = 2;
  CHECK(client.fetch(exact).error == errc::too_many_redirects);
}

TEST_CASE("303, and POST on 301 or 302, become GET while 307 and 308 resend the body",
          "[redirect]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  auto via = [&](const std::string& method, int code) {
    Request request = keep(server.url("/redirect-to?url=/headers&code=" + std::to_string(code)));
    request.method = method;
    request.body = "hello";
    Response response = client.fetch(request);
    REQUIRE(response.ok());
    CHECK(response.redirects == 1);
    return response.body.find("Content-Length: 5\n") != std::string::npos;
  };
  CHECK_FALSE(via("POST", 301));
  CHECK_FALSE(via("POST", 302));
  CHECK_FALSE(via("POST", 303));
  CHECK_FALSE(via("PUT", 303));
  CHECK(via("PUT", 302));
  CHECK(via("POST", 307));
  CHECK(via("POST", 308));
}

TEST_CASE("credentials do not follow a redirect to another origin", "[redirect]") {
  testing::HttpServer server;
  testing::HttpServer other;
  green::Hub hub;
  Client client(hub);
  auto echo_via = [&](const std::string& target) {
    Request request = keep(server.url("/redirect-to?url=" + target));
    request.headers = {{"Authorization", "Bearer secret"}, {"X-Keep", "yes"}};
    Response response = client.fetch(request);
    REQUIRE(response.ok());
    CHECK(response.redirects == 1);
    return response.body;
  };
  std::string same = echo_via("/headers");
  CHECK(same.find("Authorization: Bearer secret") != std::string::npos);
  std::string cross = echo_via(other.url("/headers"));
  CHECK(cross.find("Authorization") == std::string::npos);
  CHECK(cross.find("X-Keep: yes") != std::string::npos);
}

TEST_CASE("bad URLs and refused connections are values", "[client]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  for (const char* url :
       {"ftp://example.com/", "http://", "not a url", "", "http://exa mple.com/"}) {
    Response response = client.fetch(get(url));
    INFO(url);
    CHECK(response.error == errc::invalid_url);
    CHECK_FALSE(response.error_message.empty());
  }

  Response refused =
      client.fetch(get("http://127.0.0.1:" + std::to_string(testing::free_tcp_port()) + "/"));
  CHECK(refused.error == errc::connect_refused);
  CHECK(refused.status == 0);

  Response bad_hop = client.fetch(get(server.url("/redirect-to?url=ftp://example.com/x")));
  CHECK(bad_hop.error == errc::invalid_url);
  CHECK(bad_hop.status == 302);
  CHECK(bad_hop.redirects == 0);

  CHECK(client.fetch(get(server.url("/bytes/1"))).ok());
}

TEST_CASE("plain HTTP fetches to a new host do not queue behind the first one", "[client]") {
  // PIPEWAIT is only for connections that may multiplex (HTTP/2); on HTTP/1.1 the
  // second fetch must open its own connection instead of waiting for the first.
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  double start = hub.now();
  double fast_done = -1;
  double slow_done = -1;
  auto slow = green::spawn([&] {
    Response r = client.fetch(get(server.url("/delay/400")));
    CHECK(r.ok());
    slow_done = hub.now() - start;
  });
  auto fast = green::spawn([&] {
    Response r = client.fetch(get(server.url("/bytes/1")));
    CHECK(r.ok());
    fast_done = hub.now() - start;
  });
  green::joinall({slow, fast});
  CHECK(fast_done < 0.3);
  CHECK(slow_done >= 0.4);
  CHECK(client.stats().connections_opened == 2);
}
