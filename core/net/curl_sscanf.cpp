// sscanf() for the whole process (glibc's C99 entry point, __isoc99_sscanf), so that
// libcurl's scan of each status line skips glibc's scanf engine (see
// net/detail/curl_sscanf.hpp). Every other format goes to glibc's vsscanf.
#include "net/detail/curl_sscanf.hpp"

#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstring>

// glibc's C99 scanf entry points (what <stdio.h> maps sscanf and vsscanf to).
extern "C" int __isoc99_vsscanf(const char* input, const char* format, va_list arguments);

namespace gfetch::net::detail::curl_sscanf {
namespace {

thread_local Counts t_counts;

// What a conversion did, in the C standard's terms: stored its value, met a
// character that does not fit (a matching failure), or met the end of the input
// (an input failure).
enum class Conversion { stored, mismatch, end };

// The whitespace a scanf directive skips: isspace() in the current locale, as
// glibc's scanf does.
const char* skip_space(const char* at) noexcept {
  while (std::isspace(static_cast<unsigned char>(*at))) ++at;
  return at;
}

// %Nd: leading whitespace, an optional sign, then decimal digits, N characters in
// all (the sign counts).
Conversion scan_decimal(const char*& at, int width, int* value) noexcept {
  at = skip_space(at);
  if (*at == '\0') return Conversion::end;
  bool negative = false;
  if (*at == '-' || *at == '+') {
    negative = *at == '-';
    ++at;
    --width;
  }
  int number = 0;
  int digits = 0;
  while (width > 0 && *at >= '0' && *at <= '9') {
    number = number * 10 + (*at - '0');
    ++at;
    --width;
    ++digits;
  }
  if (digits == 0) return Conversion::mismatch;
  *value = negative ? -number : number;
  return Conversion::stored;
}

// %c: the next character, whatever it is.
Conversion scan_char(const char*& at, char* value) noexcept {
  if (*at == '\0') return Conversion::end;
  *value = *at++;
  return Conversion::stored;
}

// " HTTP/%1d.%1d%c%3d%c" with int*, int*, char*, int*, char*.
int scan_status_line(const char* input, va_list arguments) noexcept {
  int* major = va_arg(arguments, int*);
  int* minor = va_arg(arguments, int*);
  char* separator = va_arg(arguments, char*);
  int* code = va_arg(arguments, int*);
  char* digit4 = va_arg(arguments, char*);

  // Before the first value is stored, the end of the input makes the result EOF.
  const char* at = skip_space(input);
  for (const char* expected = "HTTP/"; *expected != '\0'; ++expected, ++at) {
    if (*at == '\0') return EOF;
    if (*at != *expected) return 0;
  }
  switch (scan_decimal(at, 1, major)) {
    case Conversion::stored:
      break;
    case Conversion::mismatch:
      return 0;
    case Conversion::end:
      return EOF;
  }
  // From here on a failure of either kind returns the values stored so far.
  if (*at != '.') return 1;
  ++at;
  if (scan_decimal(at, 1, minor) != Conversion::stored) return 1;
  if (scan_char(at, separator) != Conversion::stored) return 2;
  if (scan_decimal(at, 3, code) != Conversion::stored) return 3;
  if (scan_char(at, digit4) != Conversion::stored) return 4;
  return 5;
}

}  // namespace

Counts counts() noexcept {
  return t_counts;
}

}  // namespace gfetch::net::detail::curl_sscanf

namespace curl_sscanf = gfetch::net::detail::curl_sscanf;

extern "C" int __isoc99_sscanf(const char* input, const char* format, ...) {
  va_list arguments;
  va_start(arguments, format);
  int result;
  if (std::strcmp(format, curl_sscanf::kStatusLineFormat) == 0) {
    ++curl_sscanf::t_counts.status_lines;
    result = curl_sscanf::scan_status_line(input, arguments);
  } else {
    ++curl_sscanf::t_counts.left_to_glibc;
    result = __isoc99_vsscanf(input, format, arguments);
  }
  va_end(arguments);
  return result;
}
