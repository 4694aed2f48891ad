// libcurl's parse of each HTTP/1.x status line, with sscanf's result and without
// glibc's scanf engine. libcurl 7.88 reads every status line with
// sscanf(line, " HTTP/%1d.%1d%c%3d%c", ...) (http.c), which costs ~2.2k of the
// ~58k user-space instructions of a 1 KiB request of bench (a): glibc sets up a
// string FILE, measures the line and runs its general engine.
//
// libcurl calls sscanf through its PLT (as __isoc99_sscanf, glibc's C99 sscanf),
// so gfetch's executable defines that symbol, and libcurl's calls bind to the
// definition here, as they do to its poll() (net/detail/curl_poll.hpp). That one
// format is scanned here, with what glibc gives: the same return value (the
// conversions assigned, or EOF when the line ends before the first one), the
// same values stored, in the same order, and nothing stored past a failure.
// Every other format goes to glibc's __isoc99_vsscanf with its arguments
// untouched. tests/net/curl_sscanf_test.cpp compares the two on many lines.
#pragma once

#include <cstdint>

namespace gfetch::net::detail::curl_sscanf {

// The format scanned here.
inline constexpr char kStatusLineFormat[] = " HTTP/%1d.%1d%c%3d%c";

// sscanf calls on this thread: scanned here, and left to glibc.
struct Counts {
  std::uint64_t status_lines = 0;
  std::uint64_t left_to_glibc = 0;
};
Counts counts() noexcept;

}  // namespace gfetch::net::detail::curl_sscanf
