// A 1 GiB download through net::Client: counted to the byte with the default
// discard sink, and the process's resident memory stays flat (nothing buffers the
// body: not the client, not libcurl, not the in-process test server).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <fstream>

#include "green/green.hpp"
#include "net/client.hpp"
#include "net/error.hpp"
#include "support/fault_server.hpp"
#include "support/http_server.hpp"

using gfetch::net::Client;
using gfetch::net::errc;
using gfetch::net::Request;
using gfetch::net::Response;

namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// Resident set size of this process, from /proc/self/statm.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("1 GiB is counted without buffering", "[client][big]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  // Warm up: first connection, handle pool, server buffers.
  REQUIRE(client.fetch(Request{.url = server.url("/bytes/1048576")}).ok());
  std::uint64_t before = resident_bytes();

  Request request;
  request.url = server.url("/bytes/" + std::to_string(kGiB));
  Response response = client.fetch(request);
  std::uint64_t after = resident_bytes();
  INFO(response.error_message);
  REQUIRE(response.ok());
  CHECK(response.bytes_received == kGiB);
  CHECK(response.bytes_on_wire > kGiB);
  CHECK(response.body.empty());
  INFO("resident before " << before / kMiB << " MiB, after " << after / kMiB << " MiB");
  CHECK(after < before + 64 * kMiB);
}

TEST_CASE("an endless body stops at a 1 GiB limit with memory flat", "[client][big]") {
  testing::FaultServer faults;
  green::Hub hub;
  Client client(hub);
  std::uint64_t before = resident_bytes();
  Request request;
  request.url = faults.url(testing::Fault::endless_body);
  request.max_body_size = kGiB;
  Response response = client.fetch(request);
  std::uint64_t after = resident_bytes();
  CHECK(response.error == errc::body_too_large);
  CHECK(response.bytes_received <= kGiB);
  CHECK(response.bytes_received > kGiB - kMiB);
  INFO("resident before " << before / kMiB << " MiB, after " << after / kMiB << " MiB");
  CHECK(after < before + 64 * kMiB);
}
