// gfetch's curl_strequal, curl_strnequal and libcurl snprintf/aprintf
// (net/detail/curl_strings.hpp), checked against libcurl's own definitions: the
// same result for every string pair and format here, the formats outside the fast
// subset left to libcurl, and libcurl's own calls bound to gfetch's functions.
#include "net/detail/curl_strings.hpp"

#include <curl/curl.h>
#include <curl/mprintf.h>
#include <dlfcn.h>
#include <sys/types.h>
#include <catch2/catch.hpp>

#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "net/client.hpp"
#include "net/detail/curl_memory.hpp"
#include "support/http_server.hpp"

namespace curl_strings = gfetch::net::detail::curl_strings;

namespace {

const curl_strings::Originals& libcurls() {
  gfetch::net::detail::ensure_curl_initialised();  // strings are freed by libcurl's allocator
  const curl_strings::Originals& originals = curl_strings::originals();
  REQUIRE(originals.strequal != nullptr);
  REQUIRE(originals.strnequal != nullptr);
  REQUIRE(originals.mvsnprintf != nullptr);
  REQUIRE(originals.mvaprintf != nullptr);
  return originals;
}

int libcurl_snprintf(char* buffer, std::size_t capacity, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int stored = libcurls().mvsnprintf(buffer, capacity, format, args);
  va_end(args);
  return stored;
}

char* libcurl_aprintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  char* text = libcurls().mvaprintf(format, args);
  va_end(args);
  return text;
}

std::string taken(char* text) {
  REQUIRE(text != nullptr);
  std::string copy(text);
  curl_free(text);
  return copy;
}

// gfetch's functions and libcurl's give the same bytes and return values, at every
// buffer size from none to more than enough. Returns whether gfetch formatted it.
template <typename... Args>
bool same_as_libcurl(const char* format, Args... args) {
  INFO("format: \"" << format << '"');
  libcurls();
  const curl_strings::Counts before = curl_strings::counts();
  for (std::size_t capacity : {0, 1, 2, 3, 7, 16, 40, 700}) {
    INFO("capacity " << capacity);
    std::vector<char> ours(701, 'Z');
    std::vector<char> theirs(701, 'Z');
    const int ours_stored = curl_msnprintf(ours.data(), capacity, format, args...);
    const int theirs_stored = libcurl_snprintf(theirs.data(), capacity, format, args...);
    CHECK(ours_stored == theirs_stored);
    CHECK(std::string(ours.begin(), ours.end()) == std::string(theirs.begin(), theirs.end()));
  }
  CHECK(taken(curl_maprintf(format, args...)) == taken(libcurl_aprintf(format, args...)));
  const curl_strings::Counts after = curl_strings::counts();
  const auto formatted = after.formatted - before.formatted;
  const auto left = after.left_to_libcurl - before.left_to_libcurl;
  // 8 snprintf and 1 aprintf, all here or all left to libcurl (whose engine may
  // call curl_msnprintf itself, for a %f).
  CHECK((left == 0 ? formatted : left) == 9);
  return left == 0;
}

}  // namespace

TEST_CASE("libcurl's calls of its string functions bind to gfetch's", "[curl_strings]") {
  const curl_strings::Originals& originals = libcurls();
  CHECK(::dlsym(RTLD_DEFAULT, "curl_strequal") == reinterpret_cast<void*>(&curl_strequal));
  CHECK(::dlsym(RTLD_DEFAULT, "curl_strnequal") == reinterpret_cast<void*>(&curl_strnequal));
  CHECK(::dlsym(RTLD_DEFAULT, "curl_mvsnprintf") == reinterpret_cast<void*>(&curl_mvsnprintf));
  CHECK(::dlsym(RTLD_DEFAULT, "curl_maprintf") == reinterpret_cast<void*>(&curl_maprintf));
  CHECK(reinterpret_cast<void*>(originals.strnequal) != reinterpret_cast<void*>(&curl_strnequal));
  CHECK(reinterpret_cast<void*>(originals.mvaprintf) != reinterpret_cast<void*>(&curl_mvaprintf));

  // libcurl formats each request's Host header with curl_maprintf.
  testing::HttpServer server;
  green::Hub hub;
  gfetch::net::Client client(hub);
  gfetch::net::Request request;
  request.url = server.url("/bytes/10");
  const curl_strings::Counts before = curl_strings::counts();
  for (int i = 0; i < 3; ++i) REQUIRE(client.fetch(request).ok());
  CHECK(curl_strings::counts().formatted - before.formatted >= 3);
}

TEST_CASE("curl_strequal and curl_strnequal compare as libcurl's do", "[curl_strings]") {
  const curl_strings::Originals& originals = libcurls();
  // Letters fold, nothing else does: '[' and '{' differ by the case bit too, and
  // bytes above 0x7f never fold.
  const std::vector<const char*> texts{nullptr,
                                       "",
                                       "a",
                                       "A",
                                       "b",
                                       "ab",
                                       "AB",
                                       "aB",
                                       "abc",
                                       "abd",
                                       "ABC",
                                       "[",
                                       "{",
                                       "@",
                                       "`",
                                       "Content-Length:",
                                       "content-length: 5",
                                       "CONTENT-TYPE:",
                                       "\xe4",
                                       "\xc4",
                                       "a\xe4",
                                       "z",
                                       "Z",
                                       "^",
                                       "~"};
  for (const char* first : texts) {
    for (const char* second : texts) {
      INFO((first ? first : "(null)") << " | " << (second ? second : "(null)"));
      CHECK(curl_strequal(first, second) == originals.strequal(first, second));
      for (std::size_t max = 0; max <= 17; ++max) {
        INFO("max " << max);
        CHECK(curl_strnequal(first, second, max) == originals.strnequal(first, second, max));
      }
    }
  }
  CHECK(curl_strequal("Content-Length", "CONTENT-length") == 1);
  CHECK(curl_strnequal("Content-Length: 5", "content-length:", 15) == 1);
  CHECK(curl_strequal("[", "{") == 0);
}

TEST_CASE("formats in the fast subset come out as libcurl's", "[curl_strings]") {
  CHECK(same_as_libcurl("plain text, no conversion"));
  CHECK(same_as_libcurl(""));
  CHECK(same_as_libcurl("100%% and %%s"));
  CHECK(same_as_libcurl("%s|%s|%s", "", "abc", "a longer string, longer than sixteen"));
  CHECK(same_as_libcurl("[%5s][%-5s][%2s][%-2s]", "abc", "abc", "abc", "abc"));
  CHECK(same_as_libcurl("[%.2s][%.0s][%.9s][%6.2s][%-6.2s]", "abc", "abc", "abc", "abc", "abc"));
  CHECK(same_as_libcurl("[%.*s][%.*s]", 3, "abcdef", 0, "abc"));
  CHECK(same_as_libcurl("[%c][%3c][%-3c]", 'x', 'y', 'z'));
  CHECK(same_as_libcurl("[%d][%d][%d][%d][%i]", 0, -1, INT_MIN, INT_MAX, 42));
  CHECK(
      same_as_libcurl("[%5d][%-5d][%05d][%-05d][%5d][%05d][%1d]", -42, -42, -42, 42, 42, 42, -42));
  CHECK(same_as_libcurl("[%u][%u][%x][%X][%08x][%-8X][%x]", 0U, UINT_MAX, 0xdeadbeefU, 0xdeadbeefU,
                        0xbeefU, 0xbeefU, 0U));
  CHECK(same_as_libcurl("[%ld][%ld][%lu][%lx][%lld][%llu][%llX]", LONG_MIN, LONG_MAX, ULONG_MAX,
                        ULONG_MAX, LLONG_MIN, ULLONG_MAX, 0x1234abcdULL));
  CHECK(same_as_libcurl("[%zu][%zu][%zd][%zd][%zx]", std::size_t{0}, SIZE_MAX, ssize_t{-5},
                        ssize_t{SSIZE_MAX}, std::size_t{255}));
  // libcurl's own hot formats.
  CHECK(same_as_libcurl("Host: %s%s%s:%d\r\n", "[", "::1", "]", 8080));
  CHECK(same_as_libcurl("%u/%ld/%s", 7U, 8080L, "example.com"));
  CHECK(same_as_libcurl("Connection #%ld to host %s left intact", 12L, "127.0.0.1"));
  CHECK(same_as_libcurl("%s:%d", std::string(300, 'h').c_str(), 1));
}

TEST_CASE("formats outside the fast subset are libcurl's own", "[curl_strings]") {
  CHECK_FALSE(same_as_libcurl("[%s]", static_cast<const char*>(nullptr)));  // "(nil)"
  CHECK_FALSE(same_as_libcurl("[%f][%.2f][%g]", 1.5, 2.25, 1e10));
  CHECK_FALSE(same_as_libcurl("[%+d]", 5));
  CHECK_FALSE(same_as_libcurl("[% d]", 5));
  CHECK_FALSE(same_as_libcurl("[%#x]", 255U));
  CHECK_FALSE(same_as_libcurl("[%.3d]", 5));
  CHECK_FALSE(same_as_libcurl("[%hd]", 5));
  CHECK_FALSE(same_as_libcurl("[%*d]", 6, 5));
  CHECK_FALSE(same_as_libcurl("[%2$s %1$s]", "a", "b"));
  CHECK_FALSE(same_as_libcurl("[%p]", static_cast<void*>(nullptr)));
  CHECK_FALSE(same_as_libcurl("[%5000d]", 1));
  CHECK_FALSE(same_as_libcurl("[%05s]", "abc"));
  CHECK_FALSE(same_as_libcurl("ends with %"));
  CHECK_FALSE(same_as_libcurl("[%o][%lo]", 8U, 64UL));
}

TEST_CASE("snprintf into no buffer at all counts nothing, as libcurl's does", "[curl_strings]") {
  libcurls();
  CHECK(curl_msnprintf(nullptr, 0, "%s:%d", "host", 80) == 0);
  CHECK(libcurl_snprintf(nullptr, 0, "%s:%d", "host", 80) == 0);
}

TEST_CASE("an aprintf string longer than the fast path's buffer is libcurl's", "[curl_strings]") {
  const std::string long_text(2000, 'x');
  libcurls();
  const curl_strings::Counts before = curl_strings::counts();
  CHECK(taken(curl_maprintf("<%s>", long_text.c_str())) == "<" + long_text + ">");
  CHECK(curl_strings::counts().left_to_libcurl == before.left_to_libcurl + 1);
  CHECK(taken(curl_maprintf("%s", "")).empty());
}
