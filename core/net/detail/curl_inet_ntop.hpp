// libcurl's text form of IPv4 addresses, with inet_ntop's result and without
// glibc's printf engine. libcurl 7.88 calls inet_ntop() about six times for every
// new connection (the address it tries, then the connection's two ends), and
// glibc formats an IPv4 address with sprintf("%u.%u.%u.%u"): ~1.7k instructions a
// call, ~10% of the user-space work of a request of bench (c), where every
// request opens a connection.
//
// libcurl calls inet_ntop through its PLT, so gfetch's executable defines it and
// those calls bind to the definition here, as they do to its poll() and sscanf()
// (net/detail/curl_poll.hpp, curl_sscanf.hpp). AF_INET is formatted here with what
// glibc gives: the dotted quad, or null with errno ENOSPC when it does not fit in
// `size` bytes with its terminator. Every other family goes to glibc's inet_ntop
// (found with dlsym(RTLD_NEXT)) untouched. tests/net/curl_inet_ntop_test.cpp
// compares the two.
#pragma once

#include <cstdint>

namespace gfetch::net::detail::curl_inet_ntop {

// inet_ntop calls on this thread: formatted here, and left to glibc.
struct Counts {
  std::uint64_t formatted_here = 0;
  std::uint64_t left_to_glibc = 0;
};
Counts counts() noexcept;

}  // namespace gfetch::net::detail::curl_inet_ntop
