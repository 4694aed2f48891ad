// gfetch's clock_gettime() (net/detail/curl_clock.hpp): inside a Frozen scope
// CLOCK_MONOTONIC stands still at its first read while the kernel's clock moves on
// (until a poll goes to the kernel), unless a connection is being set up; outside
// a scope and for other clocks every read is the kernel's. And the client's use of
// it: libcurl's reads while the hub hands it events on kept-alive connections are
// answered from the scope, and a transfer counts as setting up a connection from
// its socket's opening until the connection is ready.
#include "net/detail/curl_clock.hpp"

#include <dlfcn.h>
#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "green/green.hpp"
#include "net/client.hpp"
#include "support/http_server.hpp"
#include "support/loopback.hpp"

namespace curl_clock = gfetch::net::detail::curl_clock;

namespace {

std::int64_t nanoseconds(const timespec& time) {
  return std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec;
}

std::int64_t read_clock(clockid_t clock) {
  timespec time{};
  REQUIRE(::clock_gettime(clock, &time) == 0);
  return nanoseconds(time);
}

// The kernel's CLOCK_MONOTONIC, past any clock_gettime() of the process.
std::int64_t kernel_monotonic() {
  timespec time{};
  if (::syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &time) != 0) FAIL("clock_gettime syscall");
  return nanoseconds(time);
}

// Spins until the kernel's clock is past `after` by `step` (no sleep: the clock
// is what is being waited for).
std::int64_t spin_past(std::int64_t after, std::int64_t step) {
  std::int64_t now = kernel_monotonic();
  while (now <= after + step) now = kernel_monotonic();
  return now;
}

constexpr std::int64_t kMillisecond = 1'000'000;

// A clock read a millisecond after the previous one has moved on by at least that.
void check_clock_moves() {
  const std::int64_t before = read_clock(CLOCK_MONOTONIC);
  spin_past(before, kMillisecond);
  CHECK(read_clock(CLOCK_MONOTONIC) > before + kMillisecond);
}

// Lets the hub run (1 ms turns of its clock) until `done`, for at most 5 s.
bool hub_runs_until(const std::function<bool()>& done) {
  for (int turn = 0; turn < 5000; ++turn) {
    if (done()) return true;
    green::sleep(0.001);
  }
  return done();
}

}  // namespace

TEST_CASE("inside a freezing scope CLOCK_MONOTONIC stands at its first read", "[curl_clock]") {
  const curl_clock::Counts before = curl_clock::counts();
  std::int64_t frozen_at = 0;
  {
    const curl_clock::Frozen frozen;
    const std::int64_t entered = kernel_monotonic();
    frozen_at = read_clock(CLOCK_MONOTONIC);
    CHECK(frozen_at >= entered);
    const std::int64_t later = spin_past(frozen_at, kMillisecond);
    CHECK(read_clock(CLOCK_MONOTONIC) == frozen_at);
    {
      const curl_clock::Frozen nested;  // shares the outer scope's time
      CHECK(read_clock(CLOCK_MONOTONIC) == frozen_at);
    }
    CHECK(read_clock(CLOCK_MONOTONIC) == frozen_at);  // still frozen after the inner one
    CHECK(later > frozen_at + kMillisecond);
    // Other clocks are the kernel's: they move on.
    const std::int64_t raw_before = read_clock(CLOCK_MONOTONIC_RAW);
    spin_past(kernel_monotonic(), kMillisecond);
    CHECK(read_clock(CLOCK_MONOTONIC_RAW) > raw_before + kMillisecond);
  }
  const curl_clock::Counts after = curl_clock::counts();
  CHECK(after.read - before.read == 1);
  CHECK(after.answered - before.answered == 3);
  CHECK(after.unfrozen == before.unfrozen);

  // After the scope: the kernel's time again, past the frozen one, and not counted.
  CHECK(read_clock(CLOCK_MONOTONIC) > frozen_at + kMillisecond);
  check_clock_moves();
  CHECK(curl_clock::counts().answered == after.answered);
  CHECK(curl_clock::counts().unfrozen == after.unfrozen);

  // A new scope reads the clock anew.
  const std::int64_t outside = read_clock(CLOCK_MONOTONIC);
  spin_past(outside, kMillisecond);
  const curl_clock::Frozen again;
  CHECK(read_clock(CLOCK_MONOTONIC) > outside + kMillisecond);
}

TEST_CASE("while a connection is being set up a scope's reads are the clock's", "[curl_clock]") {
  const curl_clock::Frozen frozen;
  const std::int64_t first = read_clock(CLOCK_MONOTONIC);
  std::int64_t last_moving = 0;
  {
    const curl_clock::Counts before = curl_clock::counts();
    const curl_clock::ConnectionSetup setup;
    CHECK(curl_clock::connections_being_set_up() == 1);
    spin_past(first, kMillisecond);
    CHECK(read_clock(CLOCK_MONOTONIC) > first + kMillisecond);
    {
      const curl_clock::ConnectionSetup another;
      const curl_clock::Frozen nested;
      check_clock_moves();
    }
    check_clock_moves();  // one of the two is still being set up
    last_moving = read_clock(CLOCK_MONOTONIC);
    CHECK(curl_clock::counts().unfrozen - before.unfrozen == 6);
    CHECK(curl_clock::counts().answered == before.answered);
  }
  CHECK(curl_clock::connections_being_set_up() == 0);
  // Frozen again, at a time read after the setup's reads: never back in time.
  const std::int64_t refrozen = read_clock(CLOCK_MONOTONIC);
  CHECK(refrozen > last_moving);
  spin_past(refrozen, kMillisecond);
  CHECK(read_clock(CLOCK_MONOTONIC) == refrozen);
}

TEST_CASE("a poll that goes to the kernel moves a freezing scope's time on", "[curl_clock]") {
  const curl_clock::Frozen frozen;
  const std::int64_t first = read_clock(CLOCK_MONOTONIC);
  spin_past(first, kMillisecond);
  CHECK(read_clock(CLOCK_MONOTONIC) == first);
  REQUIRE(::poll(nullptr, 0, 0) == 0);  // no socket the hub could answer for
  const std::int64_t after_poll = read_clock(CLOCK_MONOTONIC);
  CHECK(after_poll > first + kMillisecond);
  spin_past(after_poll, kMillisecond);
  CHECK(read_clock(CLOCK_MONOTONIC) == after_poll);  // frozen again
}

TEST_CASE("libcurl's clock reads in events on a kept-alive connection are the scope's",
          "[curl_clock]") {
  CHECK(::dlsym(RTLD_DEFAULT, "clock_gettime") == reinterpret_cast<void*>(&::clock_gettime));
  testing::HttpServer server;
  green::Hub hub;
  gfetch::net::Client client(hub);
  gfetch::net::Request request;
  request.url = server.url("/bytes/1000");
  REQUIRE(client.fetch(request).ok());  // connects
  const curl_clock::Counts before = curl_clock::counts();
  constexpr int kFetches = 20;
  for (int i = 0; i < kFetches; ++i) {
    const gfetch::net::Response response = client.fetch(request);
    REQUIRE(response.ok());
    CHECK(response.bytes_received == 1000);
    CHECK(response.timings.total > 0);
  }
  const curl_clock::Counts after = curl_clock::counts();
  // Per fetch, two scopes read the clock once each: the timeout in which libcurl
  // sends the request and the event that brings the response. libcurl 7.88 reads
  // it ~30 times a request, 29 of them answered from those scopes (measured).
  CHECK(after.read - before.read >= 2 * kFetches);
  CHECK(after.read - before.read <= 4 * kFetches);
  CHECK(after.answered - before.answered >= 20 * kFetches);
  CHECK(after.unfrozen == before.unfrozen);
  CHECK(client.stats().connections_opened == 1);
}

TEST_CASE("a transfer sets up its connection from its socket's opening until it is ready",
          "[curl_clock]") {
  testing::HttpServer server;
  green::Hub hub;
  gfetch::net::Client client(hub);
  gfetch::net::Request request;
  request.url = server.url("/bytes/100");

  SECTION("a new connection's reads are the clock's, then its events freeze again") {
    curl_clock::Counts before = curl_clock::counts();
    REQUIRE(client.fetch(request).ok());
    CHECK(curl_clock::counts().unfrozen > before.unfrozen);
    CHECK(curl_clock::connections_being_set_up() == 0);

    before = curl_clock::counts();
    for (int i = 0; i < 5; ++i) REQUIRE(client.fetch(request).ok());
    const curl_clock::Counts after = curl_clock::counts();
    CHECK(after.unfrozen == before.unfrozen);
    CHECK(after.answered - before.answered >= 10 * 5);
    CHECK(client.stats().connections_opened == 1);
  }
  SECTION("a connect that hangs is being set up until its fetch ends") {
    testing::FullListener listener;
    gfetch::net::Request hanging;
    hanging.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/";
    hanging.timeouts.connect = 5;
    auto fetcher = green::spawn([&] { return client.fetch(hanging); });
    CHECK(hub_runs_until([] { return curl_clock::connections_being_set_up() == 1; }));
    fetcher->kill();
    CHECK(curl_clock::connections_being_set_up() == 0);
  }
  SECTION("a refused connect is being set up no longer") {
    gfetch::net::Request refused;
    refused.url = "http://127.0.0.1:" + std::to_string(testing::free_tcp_port()) + "/";
    const curl_clock::Counts before = curl_clock::counts();
    CHECK_FALSE(client.fetch(refused).ok());
    CHECK(curl_clock::counts().unfrozen > before.unfrozen);
    CHECK(curl_clock::connections_being_set_up() == 0);
  }
  SECTION("a connection that is ready is not being set up while its response is awaited") {
    request.url = server.url("/delay/2000");
    std::optional<gfetch::net::Response> response;
    auto fetcher = green::spawn([&] { response = client.fetch(request); });
    CHECK(hub_runs_until([&] { return server.stats().requests == 1; }));
    CHECK_FALSE(response.has_value());  // the server holds it
    CHECK(curl_clock::connections_being_set_up() == 0);
    fetcher->kill();
  }
}
