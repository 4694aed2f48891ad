// gfetch's sscanf() (net/detail/curl_sscanf.hpp): libcurl's status-line format is
// scanned with glibc's results (compared with glibc's own vsscanf on every line
// up to four characters after each of a set of prefixes, and on realistic and
// random lines), every other format is glibc's, and libcurl's scans of the status
// lines of real responses reach it.
#include "net/detail/curl_sscanf.hpp"

#include <dlfcn.h>
#include <catch2/catch.hpp>

#include <cstdarg>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "net/client.hpp"
#include "support/http_server.hpp"

extern "C" int __isoc99_vsscanf(const char* input, const char* format, va_list arguments);

namespace curl_sscanf = gfetch::net::detail::curl_sscanf;

namespace {

// What one scan of the status-line format gives: its result and the five values,
// each starting from a value no scan stores.
struct Scanned {
  int result = -100;
  int major = -7777;
  int minor = -7777;
  char separator = '#';
  int code = -7777;
  char digit4 = '#';
  bool operator==(const Scanned&) const = default;
};

int glibc_sscanf(const char* input, const char* format, ...) {
  va_list arguments;
  va_start(arguments, format);
  const int result = __isoc99_vsscanf(input, format, arguments);
  va_end(arguments);
  return result;
}

Scanned scan_with_gfetch(const std::string& line) {
  Scanned s;
  s.result = std::sscanf(line.c_str(), curl_sscanf::kStatusLineFormat, &s.major, &s.minor,
                         &s.separator, &s.code, &s.digit4);
  return s;
}

Scanned scan_with_glibc(const std::string& line) {
  Scanned s;
  s.result = glibc_sscanf(line.c_str(), curl_sscanf::kStatusLineFormat, &s.major, &s.minor,
                          &s.separator, &s.code, &s.digit4);
  return s;
}

std::string describe(const Scanned& s) {
  return "result " + std::to_string(s.result) + ", " + std::to_string(s.major) + "." +
         std::to_string(s.minor) + " separator " + std::to_string(s.separator) + " code " +
         std::to_string(s.code) + " digit4 " + std::to_string(s.digit4);
}

// Every line `prefix` + up to `length` characters of `alphabet`, to `check`.
template <typename Check>
void for_every_tail(const std::string& prefix, const std::string& alphabet, std::size_t length,
                    Check check) {
  std::vector<std::size_t> digits;
  std::string line = prefix;
  check(line);
  for (std::size_t size = 1; size <= length; ++size) {
    digits.assign(size, 0);
    while (true) {
      line.resize(prefix.size());
      for (std::size_t d : digits) line += alphabet[d];
      check(line);
      std::size_t position = 0;
      while (position < size && ++digits[position] == alphabet.size()) digits[position++] = 0;
      if (position == size) break;
    }
  }
}

}  // namespace

TEST_CASE("the status-line format is scanned as glibc scans it", "[curl_sscanf]") {
  const curl_sscanf::Counts before = curl_sscanf::counts();
  std::uint64_t lines = 0;
  std::uint64_t mismatches = 0;
  auto check = [&](const std::string& line) {
    ++lines;
    const Scanned ours = scan_with_gfetch(line);
    const Scanned glibc = scan_with_glibc(line);
    if (ours == glibc) return;
    if (++mismatches <= 20) {
      INFO("line \"" << line << "\": gfetch " << describe(ours) << "; glibc " << describe(glibc));
      CHECK(ours == glibc);
    }
  };

  SECTION("realistic lines") {
    for (const char* line : {"HTTP/1.1 200 OK",
                             "HTTP/1.1 200 OK\r\n",
                             "HTTP/1.0 404 Not Found\r\n",
                             "HTTP/1.1 200",
                             "HTTP/1.1 200\r",
                             "HTTP/2 200",
                             "HTTP/2 200 \r\n",
                             "HTTP/3 204",
                             "  HTTP/1.1 301 x",
                             "\tHTTP/1.1 500 x",
                             "HTTP/1.1 2000 x",
                             "HTTP/1.1 20 x",
                             "HTTP/1.1 -12 x",
                             "HTTP/1.1 +99x",
                             "HTTP/1.1  200 x",
                             "HTTP/1.1\t200 x",
                             "HTTP/ 1.1 200 x",
                             "HTTP/1. 1 200 x",
                             "HTTP/11.1 200",
                             "HTTP/1.12 200",
                             "HTTP/1.1x200",
                             "HTTP/1.1 abc",
                             "HTTP/a.1 200",
                             "HTTP/1,1 200",
                             "HTTP /1.1 200",
                             "http/1.1 200",
                             "HTTP",
                             "HTTP/",
                             "HTTP/1",
                             "HTTP/1.",
                             "HTTP/1.1",
                             "HTTP/1.1 ",
                             "",
                             " ",
                             "\r\n",
                             "ICY 200 OK",
                             "HTTP/1.1 200 OK\xa0",
                             "HTTP/1.1\v\f200\xff"}) {
      check(line);
    }
  }
  SECTION("every short line after a set of prefixes") {
    const std::string alphabet = "0129 .-+x\t\r";
    for (const char* prefix : {"", " ", "\t\n ", "H", "HTT", "HTTP", "HTTPX", "HTTP/", " HTTP/",
                               "HTTP/1", "HTTP/1.", "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 2",
                               "HTTP/1.1 20", "HTTP/1.1 200", "hTTP/", "xHTTP/"}) {
      for_every_tail(prefix, alphabet, 4, check);
    }
  }
  SECTION("random lines") {
    std::mt19937 random(20261123);
    const std::string alphabet = "HTP/0123456789 .-+\t\r\nxO";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<int> length(0, 14);
    for (int i = 0; i < 20000; ++i) {
      std::string line = i % 2 == 0 ? "HTTP/" : "";
      for (int n = length(random); n > 0; --n) line += alphabet[pick(random)];
      check(line);
    }
  }
  CHECK(mismatches == 0);
  CHECK(curl_sscanf::counts().status_lines - before.status_lines == lines);
}

TEST_CASE("other formats are glibc's", "[curl_sscanf]") {
  const curl_sscanf::Counts before = curl_sscanf::counts();
  int hours = 0;
  int minutes = 0;
  CHECK(std::sscanf("12:34", "%d:%d", &hours, &minutes) == 2);
  CHECK(hours == 12);
  CHECK(minutes == 34);
  char version[2] = {};
  int code = 0;
  CHECK(std::sscanf("HTTP/2 200", " HTTP/%1[23] %d", version, &code) == 2);  // libcurl's h2 scan
  CHECK(version[0] == '2');
  CHECK(code == 200);
  // The status-line format with text after it is another format.
  CHECK(std::sscanf("HTTP/1.1 200 OK", " HTTP/%1d.%1d%c%3d%c ", &hours, &minutes, &version[0],
                    &code, &version[1]) == 5);
  const curl_sscanf::Counts after = curl_sscanf::counts();
  CHECK(after.left_to_glibc - before.left_to_glibc == 3);
  CHECK(after.status_lines == before.status_lines);
}

TEST_CASE("libcurl's scans of status lines reach gfetch's sscanf", "[curl_sscanf]") {
  // <stdio.h> names glibc's C99 sscanf __isoc99_sscanf: the executable's is the one.
  CHECK(::dlsym(RTLD_DEFAULT, "__isoc99_sscanf") == reinterpret_cast<void*>(&std::sscanf));
  testing::HttpServer server;
  green::Hub hub;
  gfetch::net::Client client(hub);
  const curl_sscanf::Counts before = curl_sscanf::counts();
  constexpr int kFetches = 10;
  for (int i = 0; i < kFetches; ++i) {
    gfetch::net::Request request;
    request.url = server.url(i % 2 == 0 ? "/bytes/100" : "/status/404");
    const gfetch::net::Response response = client.fetch(request);
    REQUIRE(response.error == std::error_code{});
    CHECK(response.status == (i % 2 == 0 ? 200 : 404));
    CHECK(response.http_version == "1.1");
  }
  const curl_sscanf::Counts after = curl_sscanf::counts();
  CHECK(after.status_lines - before.status_lines == kFetches);
}
