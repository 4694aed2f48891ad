// HTTP/2 through net::Client against a local nghttpd (Debian's nghttp2-server). In
// h2c prior-knowledge mode concurrent fetches share one connection and the server's
// frame log shows their DATA frames interleaved (real multiplexing); over TLS with
// a self-signed certificate, verification, insecure mode and a CA file.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "green/green.hpp"
#include "green/pool.hpp"
#include "net/client.hpp"
#include "net/error.hpp"
#include "support/nghttpd.hpp"

using gfetch::net::Client;
using gfetch::net::HttpVersion;
using gfetch::net::Request;
using gfetch::net::Response;

namespace {

// nghttpd serving `files` (name -> size), logging its frames (-v) for log().
testing::NghttpdOptions nghttpd(std::vector<std::pair<std::string, std::size_t>> files,
                                bool tls = false) {
  testing::NghttpdOptions options;
  options.files = std::move(files);
  options.tls = tls;
  options.frame_log = true;
  return options;
}

Request h2(std::string url) {
  Request request;
  request.url = std::move(url);
  request.http_version = HttpVersion::http2_prior_knowledge;
  return request;
}

}  // namespace

TEST_CASE("concurrent fetches multiplex over one HTTP/2 connection", "[client][http2]") {
  if (testing::find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  constexpr int kFetches = 20;
  constexpr std::size_t kSize = 2 * 1024 * 1024;  // more than a socket buffer: streams overlap
  std::vector<std::pair<std::string, std::size_t>> files;
  for (int i = 0; i < kFetches; ++i) files.emplace_back("file" + std::to_string(i), kSize);
  testing::Nghttpd server(nghttpd(files));
  REQUIRE(server.running());

  green::Hub hub;
  Client client(hub);
  std::vector<Response> responses(kFetches);
  green::Pool pool(kFetches);
  for (int i = 0; i < kFetches; ++i) {
    pool.spawn(
        [&, i] { responses[i] = client.fetch(h2(server.url("/file" + std::to_string(i)))); });
  }
  pool.join();
  for (const Response& response : responses) {
    INFO(response.error_message);
    CHECK(response.ok());
    CHECK(response.status == 200);
    CHECK(response.http_version == "2");
    CHECK(response.bytes_received == kSize);
  }
  CHECK(client.stats().transfers == static_cast<std::uint64_t>(kFetches));
  CHECK(client.stats().connections_opened == 1);

  // The server sent the streams' DATA frames interleaved, not one stream after another.
  std::string log = server.log();
  // Lines like "send DATA frame <length=16384, flags=0x00, stream_id=13>".
  std::vector<int> streams;
  const std::string frame = "send DATA frame <";
  const std::string stream_id = "stream_id=";
  for (std::size_t at = log.find(frame); at != std::string::npos; at = log.find(frame, at + 1)) {
    std::size_t id = log.find(stream_id, at);
    if (id != std::string::npos) streams.push_back(std::atoi(log.c_str() + id + stream_id.size()));
  }
  std::set<int> distinct(streams.begin(), streams.end());
  int switches = 0;
  for (std::size_t i = 1; i < streams.size(); ++i) switches += streams[i] != streams[i - 1];
  CHECK(distinct.size() == static_cast<std::size_t>(kFetches));
  CHECK(switches > kFetches);
}

TEST_CASE("sequential HTTP/2 fetches reuse the connection", "[client][http2]") {
  if (testing::find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  testing::Nghttpd server(nghttpd({{"small", 1000}}));
  REQUIRE(server.running());
  green::Hub hub;
  Client client(hub);
  for (int i = 0; i < 10; ++i) {
    Response response = client.fetch(h2(server.url("/small")));
    INFO(response.error_message);
    CHECK(response.ok());
    CHECK(response.http_version == "2");
    CHECK(response.bytes_received == 1000);
  }
  CHECK(client.stats().connections_opened == 1);
}

TEST_CASE("TLS is verified by default, insecure mode and a CA file are honoured", "[client][tls]") {
  if (testing::find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  testing::Nghttpd server(nghttpd({{"page", 5000}}, /*tls=*/true));
  REQUIRE(server.running());
  green::Hub hub;
  Client client(hub);
  Request request;
  request.url = server.url("/page");

  Response unverified = client.fetch(request);
  CHECK(unverified.error == gfetch::net::errc::tls_failure);
  CHECK_FALSE(unverified.error_message.empty());

  request.tls.insecure = true;
  Response insecure = client.fetch(request);
  INFO(insecure.error_message);
  CHECK(insecure.ok());
  CHECK(insecure.http_version == "2");  // h2 through ALPN
  CHECK(insecure.timings.tls > 0);
  CHECK(insecure.bytes_received == 5000);

  request.tls.insecure = false;
  request.tls.ca_file = server.certificate();
  Response trusted = client.fetch(request);
  INFO(trusted.error_message);
  CHECK(trusted.ok());
  CHECK(trusted.bytes_received == 5000);

  // The CA file stays with that request: the pooled handle forgets it.
  request.tls.ca_file.clear();
  Request fresh;
  fresh.url = server.url("/page?again");
  CHECK(client.fetch(fresh).error == gfetch::net::errc::tls_failure);
}

TEST_CASE("pooled handles stay usable after HTTP/2 transfers that ended beside others",
          "[client][http2][tls]") {
  // libcurl 7.88 keeps a transfer's receive buffer when it ends while its
  // connection still carries other streams. A handle that kept one refused
  // CURLOPT_BUFFERSIZE ("bad argument") on every later fetch; after the reset a
  // CA file needs, it would have read into a buffer smaller than libcurl thought.
  if (testing::find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  constexpr int kWorkers = 10;
  constexpr int kEach = 10;
  std::vector<std::pair<std::string, std::size_t>> files;
  for (int i = 0; i < kWorkers * kEach; ++i) files.emplace_back("f" + std::to_string(i), 100);
  testing::Nghttpd server(nghttpd(files, /*tls=*/true));
  REQUIRE(server.running());
  green::Hub hub;
  Client client(hub);
  std::vector<Response> responses(kWorkers * kEach);
  green::Pool pool(kWorkers);
  for (int worker = 0; worker < kWorkers; ++worker) {
    pool.spawn([&, worker] {
      for (int i = worker * kEach; i < (worker + 1) * kEach; ++i) {
        Request request;
        request.url = server.url("/f" + std::to_string(i));
        request.tls.ca_file = server.certificate();
        responses[i] = client.fetch(request);
      }
    });
  }
  pool.join();
  for (const Response& response : responses) {
    INFO(response.error_message);
    CHECK(response.ok());
    CHECK(response.http_version == "2");
    CHECK(response.bytes_received == 100);
  }
}
