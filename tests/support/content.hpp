// Deterministic bodies served by the test servers, and the helpers tests use to
// check them: byte i of every generated body is pattern_byte(i), so a test can
// verify any prefix, range or length without storing the expected body.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace testing {

// 'a' + i % 26: byte i of /bytes/N, /drip, /gzip (decoded) and the fault bodies.
constexpr char pattern_byte(std::size_t i) {
  return static_cast<char>('a' + i % 26);
}

// The first n bytes of the pattern.
std::string pattern(std::size_t n);

// A block of the pattern, starting at offset 0, whose length is a multiple of
// 26 (so consecutive blocks continue the pattern). It lives forever: servers
// send references to it instead of copying big bodies.
std::string_view pattern_block();

// The gzip encoding (RFC 1952) of the first n pattern bytes. Throws on zlib errors.
std::string gzip_pattern(std::size_t n);

// Decodes a gzip stream; throws std::runtime_error if it is not valid gzip.
std::string gunzip(std::string_view compressed);

}  // namespace testing
