// inet_ntop() for the whole process, so that libcurl's IPv4 addresses are written
// without glibc's sprintf (see net/detail/curl_inet_ntop.hpp). Every other address
// family goes to glibc's inet_ntop.
#include "net/detail/curl_inet_ntop.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace gfetch::net::detail::curl_inet_ntop {
namespace {

thread_local Counts t_counts;

using InetNtop = const char* (*)(int, const void*, char*, socklen_t);

// The next definition after the executable's: glibc's (or a sanitizer's wrapper
// of it).
InetNtop next_inet_ntop() noexcept {
  static const InetNtop next = reinterpret_cast<InetNtop>(dlsym(RTLD_NEXT, "inet_ntop"));
  return next;
}

// Writes `value` (0..255) in decimal without leading zeros; returns the end.
char* write_octet(char* out, unsigned value) noexcept {
  if (value >= 100) {
    *out++ = static_cast<char>('0' + value / 100);
    value %= 100;
    *out++ = static_cast<char>('0' + value / 10);
  } else if (value >= 10) {
    *out++ = static_cast<char>('0' + value / 10);
  }
  *out++ = static_cast<char>('0' + value % 10);
  return out;
}

}  // namespace

Counts counts() noexcept {
  return t_counts;
}

}  // namespace gfetch::net::detail::curl_inet_ntop

using gfetch::net::detail::curl_inet_ntop::t_counts;

extern "C" const char* inet_ntop(int family, const void* __restrict source,
                                 char* __restrict destination, socklen_t size) noexcept {
  using namespace gfetch::net::detail::curl_inet_ntop;
  if (family != AF_INET) {
    ++t_counts.left_to_glibc;
    InetNtop next = next_inet_ntop();
    if (next == nullptr) {
      errno = EAFNOSUPPORT;
      return nullptr;
    }
    return next(family, source, destination, size);
  }
  ++t_counts.formatted_here;
  const auto* bytes = static_cast<const unsigned char*>(source);
  char text[sizeof "255.255.255.255"];
  char* end = text;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) *end++ = '.';
    end = write_octet(end, bytes[i]);
  }
  const auto length = static_cast<socklen_t>(end - text);
  if (length >= size) {  // glibc's rule: the text and its terminator must fit
    errno = ENOSPC;
    return nullptr;
  }
  std::memcpy(destination, text, length);
  destination[length] = '\0';
  return destination;
}
