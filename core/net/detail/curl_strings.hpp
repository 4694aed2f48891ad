// libcurl's string functions, faster, with libcurl's results. libcurl 7.88 calls
// its own exported curl_strequal and curl_strnequal for every header name it
// compares (~70 compares per response of bench (a), a call per character), and
// formats the Host header, connection cache keys and its "left intact" line with
// curl_maprintf and curl_msnprintf (an indirect call per byte). Together ~12k of
// the ~66k user-space instructions of a 1 KiB request of bench (a).
//
// libcurl calls these functions through its PLT, so gfetch's executable defines
// them and libcurl's calls bind to the definitions here, as they do to its poll()
// (net/detail/curl_poll.hpp). They give what libcurl's own would:
// - curl_strequal, curl_strnequal: ASCII-only case-insensitive comparison, with
//   libcurl's NULL rules; a byte table instead of a call per character.
// - curl_msnprintf, curl_mvsnprintf, curl_maprintf, curl_mvaprintf: the formats
//   libcurl uses on its hot paths (%s, %c, %d, %i, %u, %x, %X, %%, lengths l, ll
//   and z, flags - and 0, a width, a precision for %s) are formatted here; any
//   other format goes to libcurl's own function, unchanged. Truncation and the
//   return values follow libcurl: snprintf returns the characters stored, and the
//   aprintf strings come from libcurl's allocator (net/detail/curl_memory.hpp).
// tests/net/curl_strings_test.cpp compares both against libcurl's own functions.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>

namespace gfetch::net::detail::curl_strings {

// libcurl's own definitions of the functions replaced here (the next ones after
// the executable's in the lookup order), for the formats left to libcurl and for
// the tests. Looked up once; ensure_curl_initialised() looks them up first.
struct Originals {
  int (*strequal)(const char*, const char*) = nullptr;
  int (*strnequal)(const char*, const char*, std::size_t) = nullptr;
  int (*mvsnprintf)(char*, std::size_t, const char*, va_list) = nullptr;
  char* (*mvaprintf)(const char*, va_list) = nullptr;
};
const Originals& originals() noexcept;

// Formats on this thread: done here, and left to libcurl's own functions.
struct Counts {
  std::uint64_t formatted = 0;
  std::uint64_t left_to_libcurl = 0;
};
Counts counts() noexcept;

}  // namespace gfetch::net::detail::curl_strings
