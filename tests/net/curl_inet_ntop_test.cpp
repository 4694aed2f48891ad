// gfetch's inet_ntop() (net/detail/curl_inet_ntop.hpp): IPv4 addresses are written
// as glibc writes them (compared with glibc's own inet_ntop on every value of each
// byte, on random addresses and at every buffer size), other families are
// glibc's, and libcurl's calls for a new connection reach it.
#include "net/detail/curl_inet_ntop.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "green/green.hpp"
#include "net/client.hpp"
#include "support/http_server.hpp"

namespace curl_inet_ntop = gfetch::net::detail::curl_inet_ntop;

namespace {

using InetNtop = const char* (*)(int, const void*, char*, socklen_t);

InetNtop glibc_inet_ntop() {
  static const auto next = reinterpret_cast<InetNtop>(::dlsym(RTLD_NEXT, "inet_ntop"));
  return next;
}

// What one call gives: the text (or "null"), and errno after a null.
struct Written {
  std::string text;
  int error = 0;
  bool returned_buffer = false;
  bool operator==(const Written&) const = default;
};

Written write_with(InetNtop function, int family, const void* address, socklen_t size) {
  char buffer[64];
  std::memset(buffer, '#', sizeof buffer);
  errno = 0;
  const char* result = function(family, address, buffer, size);
  Written written;
  if (result == nullptr) {
    written.text = "null";
    written.error = errno;
  } else {
    written.text = result;
    written.returned_buffer = result == buffer;
  }
  return written;
}

Written write_with_gfetch(int family, const void* address, socklen_t size) {
  return write_with(&::inet_ntop, family, address, size);
}

Written write_with_glibc(int family, const void* address, socklen_t size) {
  return write_with(glibc_inet_ntop(), family, address, size);
}

}  // namespace

TEST_CASE("IPv4 addresses are written as glibc writes them", "[curl_inet_ntop]") {
  REQUIRE(glibc_inet_ntop() != nullptr);
  REQUIRE(glibc_inet_ntop() != &::inet_ntop);
  const curl_inet_ntop::Counts before = curl_inet_ntop::counts();
  std::size_t compared = 0;
  std::size_t mismatches = 0;
  auto compare = [&](const unsigned char(&bytes)[4], socklen_t size) {
    const Written gfetch = write_with_gfetch(AF_INET, bytes, size);
    const Written glibc = write_with_glibc(AF_INET, bytes, size);
    ++compared;
    if (gfetch != glibc) {
      ++mismatches;
      if (mismatches <= 10) {
        INFO(int{bytes[0]} << "." << int{bytes[1]} << "." << int{bytes[2]} << "." << int{bytes[3]}
                           << " in " << size << " bytes: gfetch " << gfetch.text << " ("
                           << gfetch.error << "), glibc " << glibc.text << " (" << glibc.error
                           << ")");
        CHECK(gfetch == glibc);
      }
    }
  };
  // Every value of each byte, the others 0, 9, 10, 99, 100 or 255; at every size
  // from too small to roomy.
  for (unsigned other : {0u, 9u, 10u, 99u, 100u, 255u}) {
    for (int position = 0; position < 4; ++position) {
      for (unsigned value = 0; value < 256; ++value) {
        unsigned char bytes[4] = {
            static_cast<unsigned char>(other), static_cast<unsigned char>(other),
            static_cast<unsigned char>(other), static_cast<unsigned char>(other)};
        bytes[position] = static_cast<unsigned char>(value);
        for (socklen_t size : {0u, 1u, 7u, 8u, 11u, 12u, 15u, 16u, 17u, 64u}) compare(bytes, size);
      }
    }
  }
  std::mt19937 random(20261123);
  for (int i = 0; i < 100000; ++i) {
    const std::uint32_t word = random();
    unsigned char bytes[4];
    std::memcpy(bytes, &word, sizeof bytes);
    compare(bytes, static_cast<socklen_t>(random() % 18));
  }
  CHECK(mismatches == 0);
  const curl_inet_ntop::Counts after = curl_inet_ntop::counts();
  CHECK(after.formatted_here - before.formatted_here == compared);
  CHECK(after.left_to_glibc == before.left_to_glibc);
}

TEST_CASE("other address families are glibc's", "[curl_inet_ntop]") {
  const curl_inet_ntop::Counts before = curl_inet_ntop::counts();
  in6_addr loopback = in6addr_loopback;
  CHECK(write_with_gfetch(AF_INET6, &loopback, 64) == write_with_glibc(AF_INET6, &loopback, 64));
  CHECK(write_with_gfetch(AF_INET6, &loopback, 64).text == "::1");
  unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  CHECK(write_with_gfetch(AF_INET6, mapped, 64).text == "::ffff:10.0.0.1");
  CHECK(write_with_gfetch(AF_INET6, mapped, 8) == write_with_glibc(AF_INET6, mapped, 8));
  const Written unknown = write_with_gfetch(12345, mapped, 64);
  CHECK(unknown == write_with_glibc(12345, mapped, 64));
  CHECK(unknown.error == EAFNOSUPPORT);
  const curl_inet_ntop::Counts after = curl_inet_ntop::counts();
  CHECK(after.left_to_glibc - before.left_to_glibc == 5);  // the five calls above
  CHECK(after.formatted_here == before.formatted_here);
}

TEST_CASE("libcurl's addresses of a new connection reach gfetch's inet_ntop", "[curl_inet_ntop]") {
  testing::HttpServer server;
  green::Hub hub;
  gfetch::net::Client client(hub);
  const curl_inet_ntop::Counts before = curl_inet_ntop::counts();
  gfetch::net::Request request;
  request.url = server.url("/bytes/10");
  const gfetch::net::Response response = client.fetch(request);
  REQUIRE(response.error == std::error_code{});
  CHECK(response.remote_ip == "127.0.0.1");  // written here
  const curl_inet_ntop::Counts after = curl_inet_ntop::counts();
  CHECK(after.formatted_here - before.formatted_here >= 2);
}
