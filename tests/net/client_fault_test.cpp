// net::Client against misbehaving servers (testing::FaultServer) and cancellation:
// each fault ends in its own error kind within its timeout and leaves the client
// usable; connect timeouts against a full accept queue; kill, green::Timeout and
// destroying the client while transfers are in flight (no leak, no stray callback);
// a socket that cannot be opened (the open-file limit) named in the message.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/pool.hpp"
#include "net/client.hpp"
#include "net/error.hpp"
#include "support/fault_server.hpp"
#include "support/http_server.hpp"
#include "support/loopback.hpp"

using gfetch::net::Client;
using gfetch::net::errc;
using gfetch::net::Request;
using gfetch::net::Response;
using testing::Fault;

namespace {

// Sanitizer builds run slower; every "within its timeout" check allows this much.
constexpr double kSlack = 1.0;

Request get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

// Runs the fetch and returns it with the seconds it took on the hub clock.
std::pair<Response, double> timed_fetch(green::Hub& hub, Client& client, const Request& request) {
  hub.update_now();
  double started = hub.now();
  Response response = client.fetch(request);
  hub.update_now();
  return {std::move(response), hub.now() - started};
}

void check_usable(Client& client, testing::HttpServer& server) {
  Response response = client.fetch(get(server.url("/bytes/10")));
  CHECK(response.ok());
  CHECK(response.bytes_received == 10);
}

}  // namespace

TEST_CASE("each fault ends in its error kind, within its timeout", "[client][fault]") {
  testing::FaultServer faults;
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);

  struct Case {
    Fault fault;
    errc expected;
    double stall;
    double total;
  };
  const std::vector<Case> cases = {
      {Fault::silent, errc::stall_timeout, 0.3, 10},
      {Fault::silent, errc::total_timeout, 10, 0.3},
      {Fault::stall_after_headers, errc::stall_timeout, 0.3, 10},
      {Fault::reset_mid_body, errc::connection_reset, 10, 10},
      {Fault::close_mid_body, errc::connection_reset, 10, 10},
      {Fault::close_before_headers, errc::connection_reset, 10, 10},
      {Fault::bad_status_line, errc::bad_response, 10, 10},
      {Fault::bad_headers, errc::bad_response, 10, 10},
      {Fault::endless_body, errc::total_timeout, 10, 0.3},
      {Fault::endless_headers, errc::bad_response, 10, 10},
  };
  for (const Case& c : cases) {
    Request request = get(faults.url(c.fault));
    request.timeouts.stall = c.stall;
    request.timeouts.total = c.total;
    auto [response, seconds] = timed_fetch(hub, client, request);
    INFO(request.url << " -> " << gfetch::net::error_kind(response.error) << ": "
                     << response.error_message);
    CHECK(response.error == c.expected);
    CHECK_FALSE(response.error_message.empty());
    CHECK(seconds < std::min(c.stall, c.total) + kSlack);
    if (c.expected == errc::stall_timeout || c.expected == errc::total_timeout) {
      CHECK(seconds >= std::min(c.stall, c.total) - 0.01);
    }
    check_usable(client, server);
  }
  CHECK(client.stats().in_flight == 0);
}

TEST_CASE("partial bodies and headers are kept on a failure", "[client][fault]") {
  testing::FaultServer faults;
  green::Hub hub;
  Client client(hub);

  Response reset = client.fetch(get(faults.url(Fault::reset_mid_body)));
  CHECK(reset.error == errc::connection_reset);
  CHECK(reset.status == 200);
  CHECK(reset.bytes_received == 4096);
  CHECK(reset.header("content-length") != nullptr);

  Request stalled = get(faults.url(Fault::stall_after_headers));
  stalled.timeouts.stall = 0.2;
  Response headers_only = client.fetch(stalled);
  CHECK(headers_only.error == errc::stall_timeout);
  CHECK(headers_only.status == 200);
  CHECK(headers_only.bytes_on_wire > 0);
}

TEST_CASE("an endless body stops at the size limit", "[client][fault]") {
  testing::FaultServer faults;
  green::Hub hub;
  Client client(hub);
  Request request = get(faults.url(Fault::endless_body));
  request.max_body_size = 5 << 20;
  Response response = client.fetch(request);
  CHECK(response.error == errc::body_too_large);
  CHECK(response.bytes_received <= (5u << 20));
}

TEST_CASE("100 MiB of headers stop at the header limit", "[client][fault]") {
  testing::FaultServer faults;
  green::Hub hub;
  Client client(hub);
  Request request = get(faults.url(Fault::endless_headers));
  request.max_header_size = 64 * 1024;
  Response response = client.fetch(request);
  CHECK(response.error == errc::bad_response);
  CHECK(response.bytes_on_wire < 1024 * 1024);
}

TEST_CASE("a connect that hangs is a connect timeout", "[client][fault]") {
  testing::FullListener listener;
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  Request request = get("http://127.0.0.1:" + std::to_string(listener.port()) + "/");
  request.timeouts.connect = 0.3;
  request.timeouts.stall = 0.1;  // not connected yet: the stall clock does not run
  auto [response, seconds] = timed_fetch(hub, client, request);
  INFO(response.error_message);
  CHECK(response.error == errc::connect_timeout);
  CHECK(seconds >= 0.29);
  CHECK(seconds < 0.3 + kSlack);
  check_usable(client, server);
}

TEST_CASE("a socket that cannot be opened fails the fetch, naming why", "[client][fault]") {
  testing::HttpServer first;
  testing::HttpServer second;
  green::Hub hub;
  Client client(hub);
  check_usable(client, first);  // the multi handle and its descriptors exist now
  // With no descriptor left below the limit, a new connection's socket() fails.
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  rlimit lowered = saved;
  lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  Response response = client.fetch(get(second.url("/bytes/10")));
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(response.error == errc::connect_failed);
  CHECK(response.error_message == "could not open a socket: " + std::string(std::strerror(EMFILE)));
  check_usable(client, second);
}

TEST_CASE("killing a fetching greenlet removes its transfer", "[client][cancel]") {
  testing::FaultServer faults;
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);

  // Parked on a silent server, and in the middle of a flowing body.
  for (Fault fault : {Fault::silent, Fault::endless_body}) {
    auto fetcher = green::spawn([&] { return client.fetch(get(faults.url(fault))); });
    green::sleep(0.2);
    CHECK(client.stats().in_flight == 1);
    fetcher->kill();
    CHECK(fetcher->dead());
    CHECK_FALSE(fetcher->value().has_value());
    CHECK(client.stats().in_flight == 0);
    green::sleep(0.05);  // the hub keeps running libcurl without the removed handle
    check_usable(client, server);
  }

  // Many at once, while their bodies drip in.
  green::Pool pool(50);
  for (int i = 0; i < 50; ++i) {
    pool.spawn([&] { client.fetch(get(server.url("/drip?bytes=100000&ms=3000"))); });
  }
  green::sleep(0.3);
  CHECK(client.stats().in_flight == 50);
  pool.kill();
  CHECK(pool.empty());
  CHECK(client.stats().in_flight == 0);
  check_usable(client, server);
}

TEST_CASE("a green::Timeout mid-transfer cancels it cleanly", "[client][cancel]") {
  testing::FaultServer faults;
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  for (Fault fault : {Fault::silent, Fault::endless_body}) {
    hub.update_now();
    double started = hub.now();
    bool timed_out = false;
    try {
      green::with_timeout(0.2, [&] { return client.fetch(get(faults.url(fault))); });
    } catch (const green::TimeoutError&) {
      timed_out = true;
    }
    hub.update_now();
    CHECK(timed_out);
    CHECK(hub.now() - started < 0.2 + kSlack);
    CHECK(client.stats().in_flight == 0);
    check_usable(client, server);
  }
}

TEST_CASE("destroying the client cancels the fetches in flight", "[client][cancel]") {
  testing::FaultServer faults;
  green::Hub hub;
  auto client = std::make_unique<Client>(hub);
  std::vector<green::GreenletPtr<Response>> fetchers;
  for (int i = 0; i < 5; ++i) {
    fetchers.push_back(green::spawn([&] { return client->fetch(get(faults.url(Fault::silent))); }));
  }
  green::sleep(0.2);
  client.reset();
  for (auto& fetcher : fetchers) {
    Response response = fetcher->get(5.0);
    CHECK(response.error == errc::cancelled);
  }
}
