// Deterministic bodies (see content.hpp): the pattern and its gzip encoding.
#include "support/content.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace testing {
namespace {

constexpr std::size_t kBlockSize = 26 * 2520;  // 65520 bytes

const std::array<char, kBlockSize>& block() {
  static const std::array<char, kBlockSize> data = [] {
    std::array<char, kBlockSize> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = pattern_byte(i);
    return a;
  }();
  return data;
}

// zlib's API takes non-const Bytef*; it never writes through next_in.
Bytef* as_bytes(const char* p) {
  return reinterpret_cast<Bytef*>(const_cast<char*>(p));
}

}  // namespace

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = pattern_byte(i);
  return out;
}

std::string_view pattern_block() {
  return {block().data(), block().size()};
}

std::string gzip_pattern(std::size_t n) {
  z_stream z{};
  // windowBits 15 + 16 selects the gzip wrapper.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out;
  std::array<char, 16384> chunk{};
  std::size_t fed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0 && fed < n) {
      std::size_t len = std::min(kBlockSize, n - fed);
      z.next_in = as_bytes(block().data());
      z.avail_in = static_cast<uInt>(len);
      fed += len;
    }
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = deflate(&z, fed == n && z.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&z);
      throw std::runtime_error("deflate failed");
    }
    out.append(chunk.data(), chunk.size() - z.avail_out);
  }
  deflateEnd(&z);
  return out;
}

std::string gunzip(std::string_view compressed) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  z.next_in = as_bytes(compressed.data());
  z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  std::array<char, 16384> chunk{};
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw std::runtime_error("gunzip: invalid or truncated gzip data");
    }
    out.append(chunk.data(), chunk.size() - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

}  // namespace testing
