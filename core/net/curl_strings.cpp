// curl_strequal, curl_strnequal and libcurl's snprintf and aprintf for the whole
// process, faster than libcurl's own and with its results (see
// net/detail/curl_strings.hpp). Formats outside the subset handled here go to
// libcurl's own functions, found with dlsym(RTLD_NEXT).
#include "net/detail/curl_strings.hpp"

#include <curl/curl.h>
#include <curl/mprintf.h>
#include <dlfcn.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "net/detail/curl_memory.hpp"

namespace gfetch::net::detail::curl_strings {
namespace {

thread_local Counts t_counts;

// libcurl's case folding: ASCII letters only, whatever the locale.
constexpr std::array<unsigned char, 256> kUpper = [] {
  std::array<unsigned char, 256> upper{};
  for (unsigned byte = 0; byte < 256; ++byte)
    upper[byte] = static_cast<unsigned char>(byte >= 'a' && byte <= 'z' ? byte - 'a' + 'A' : byte);
  return upper;
}();

bool same_folded(char first, char second) noexcept {
  return kUpper[static_cast<unsigned char>(first)] == kUpper[static_cast<unsigned char>(second)];
}

template <typename Function>
Function next_definition(const char* name) noexcept {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

// Where a format's output goes: the first `capacity` bytes are stored, all are
// counted.
class Output {
 public:
  Output(char* buffer, std::size_t capacity) noexcept : at_(buffer), room_(capacity) {}

  void append(const char* text, std::size_t size) noexcept {
    const std::size_t stored = std::min(size, room_);
    if (stored != 0) std::memcpy(at_, text, stored);  // at_ may be null when room_ is 0
    at_ += stored;
    room_ -= stored;
    length_ += size;
  }
  void fill(char byte, std::size_t count) noexcept {
    const std::size_t stored = std::min(count, room_);
    if (stored != 0) std::memset(at_, byte, stored);
    at_ += stored;
    room_ -= stored;
    length_ += count;
  }
  std::size_t length() const noexcept { return length_; }

 private:
  char* at_;
  std::size_t room_;
  std::size_t length_ = 0;
};

constexpr unsigned kWidestField = 4096;  // wider fields go to libcurl

struct Spec {
  bool left = false;   // '-'
  bool zeros = false;  // '0'
  unsigned width = 0;
  int precision = -1;  // none
  enum class Length { kInt, kLong, kLongLong, kSize } length = Length::kInt;
};

// A field of `size` bytes at `text` (after `sign`, when not empty), padded to the
// spec's width.
void put_field(Output& out, const Spec& spec, const char* sign, std::size_t sign_size,
               const char* text, std::size_t size) {
  const std::size_t used = sign_size + size;
  if (spec.width <= used) {
    out.append(sign, sign_size);
    out.append(text, size);
    return;
  }
  const std::size_t padding = spec.width - used;
  if (spec.left) {
    out.append(sign, sign_size);
    out.append(text, size);
    out.fill(' ', padding);
  } else if (spec.zeros) {
    out.append(sign, sign_size);
    out.fill('0', padding);
    out.append(text, size);
  } else {
    out.fill(' ', padding);
    out.append(sign, sign_size);
    out.append(text, size);
  }
}

template <unsigned kBase>
void put_number(Output& out, const Spec& spec, unsigned long long magnitude, bool negative,
                bool upper_case = false) {
  const char* digits = upper_case ? "0123456789ABCDEF" : "0123456789abcdef";
  char text[24];
  char* start = text + sizeof text;
  do {
    *--start = digits[magnitude % kBase];
    magnitude /= kBase;
  } while (magnitude != 0);
  put_field(out, spec, "-", negative ? 1 : 0, start,
            static_cast<std::size_t>(text + sizeof text - start));
}

bool is_digit(char byte) noexcept {
  return byte >= '0' && byte <= '9';
}

// Formats what libcurl's engine would, or returns false at the first thing this
// leaves to libcurl (the output is then incomplete, and `args` partly consumed).
bool format(Output& out, const char* format, va_list* args) {
  const char* at = format;
  while (*at != '\0') {
    if (*at != '%') {
      const char* text_end = std::strchr(at, '%');
      const std::size_t size =
          text_end != nullptr ? static_cast<std::size_t>(text_end - at) : std::strlen(at);
      out.append(at, size);
      at += size;
      continue;
    }
    ++at;
    if (*at == '%') {
      out.append("%", 1);
      ++at;
      continue;
    }
    Spec spec;
    for (;; ++at) {
      if (*at == '-')
        spec.left = true;
      else if (*at == '0')
        spec.zeros = true;
      else
        break;
    }
    for (; is_digit(*at); ++at) {
      spec.width = spec.width * 10 + static_cast<unsigned>(*at - '0');
      if (spec.width > kWidestField) return false;
    }
    if (*at == '.') {
      ++at;
      if (*at == '*') {
        ++at;
        spec.precision = va_arg(*args, int);
        if (spec.precision < 0) return false;
      } else {
        spec.precision = 0;
        for (; is_digit(*at); ++at) {
          spec.precision = spec.precision * 10 + (*at - '0');
          if (spec.precision > static_cast<int>(kWidestField)) return false;
        }
      }
    }
    if (*at == 'l') {
      ++at;
      spec.length = Spec::Length::kLong;
      if (*at == 'l') {
        ++at;
        spec.length = Spec::Length::kLongLong;
      }
    } else if (*at == 'z') {
      ++at;
      spec.length = Spec::Length::kSize;
    }
    const char conversion = *at++;
    switch (conversion) {
      case 's': {
        if (spec.length != Spec::Length::kInt || spec.zeros) return false;
        const char* text = va_arg(*args, const char*);
        if (text == nullptr) return false;  // libcurl's "(nil)" rules
        const std::size_t size = spec.precision < 0
                                     ? std::strlen(text)
                                     : ::strnlen(text, static_cast<std::size_t>(spec.precision));
        put_field(out, spec, "", 0, text, size);
        break;
      }
      case 'c': {
        if (spec.length != Spec::Length::kInt || spec.zeros || spec.precision >= 0) return false;
        const char byte = static_cast<char>(va_arg(*args, int));
        put_field(out, spec, "", 0, &byte, 1);
        break;
      }
      case 'd':
      case 'i': {
        if (spec.precision >= 0) return false;
        long long value = 0;
        switch (spec.length) {
          case Spec::Length::kInt:
            value = va_arg(*args, int);
            break;
          case Spec::Length::kLong:
            value = va_arg(*args, long);
            break;
          case Spec::Length::kLongLong:
            value = va_arg(*args, long long);
            break;
          case Spec::Length::kSize:
            value = va_arg(*args, ssize_t);
            break;
        }
        const bool negative = value < 0;
        const unsigned long long magnitude = negative
                                                 ? 0ULL - static_cast<unsigned long long>(value)
                                                 : static_cast<unsigned long long>(value);
        put_number<10>(out, spec, magnitude, negative);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        if (spec.precision >= 0) return false;
        unsigned long long value = 0;
        switch (spec.length) {
          case Spec::Length::kInt:
            value = va_arg(*args, unsigned);
            break;
          case Spec::Length::kLong:
            value = va_arg(*args, unsigned long);
            break;
          case Spec::Length::kLongLong:
            value = va_arg(*args, unsigned long long);
            break;
          case Spec::Length::kSize:
            value = va_arg(*args, std::size_t);
            break;
        }
        if (conversion == 'u')
          put_number<10>(out, spec, value, false);
        else
          put_number<16>(out, spec, value, false, conversion == 'X');
        break;
      }
      default:
        return false;
    }
  }
  return out.length() <= INT_MAX;
}

}  // namespace

const Originals& originals() noexcept {
  static const Originals found{
      next_definition<decltype(Originals::strequal)>("curl_strequal"),
      next_definition<decltype(Originals::strnequal)>("curl_strnequal"),
      next_definition<decltype(Originals::mvsnprintf)>("curl_mvsnprintf"),
      next_definition<decltype(Originals::mvaprintf)>("curl_mvaprintf"),
  };
  return found;
}

Counts counts() noexcept {
  return t_counts;
}

}  // namespace gfetch::net::detail::curl_strings

namespace strings = gfetch::net::detail::curl_strings;

extern "C" {

int curl_strequal(const char* first, const char* second) {
  if (first == nullptr || second == nullptr) return first == second;
  for (; *first != '\0' && *second != '\0'; ++first, ++second)
    if (!strings::same_folded(*first, *second)) return 0;
  return *first == *second;  // both ended
}

int curl_strnequal(const char* first, const char* second, std::size_t max) {
  // libcurl's rule, as it is: two NULLs are equal only when max is not 0.
  if (first == nullptr || second == nullptr) return first == second && max != 0;
  for (; max != 0; --max, ++first, ++second) {
    if (!strings::same_folded(*first, *second)) return 0;
    if (*first == '\0') return 1;  // both ended: only '\0' folds to '\0'
  }
  return 1;
}

int curl_mvsnprintf(char* buffer, std::size_t capacity, const char* format, va_list args) {
  va_list fast;
  va_copy(fast, args);
  strings::Output out(buffer, capacity == 0 ? 0 : capacity - 1);
  const bool done = strings::format(out, format, &fast);
  va_end(fast);
  if (!done) {
    ++strings::t_counts.left_to_libcurl;
    const auto original = strings::originals().mvsnprintf;
    return original != nullptr ? original(buffer, capacity, format, args) : -1;
  }
  ++strings::t_counts.formatted;
  if (capacity == 0) return 0;
  const std::size_t stored = std::min(out.length(), capacity - 1);
  buffer[stored] = '\0';
  return static_cast<int>(stored);
}

int curl_msnprintf(char* buffer, std::size_t capacity, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int stored = curl_mvsnprintf(buffer, capacity, format, args);
  va_end(args);
  return stored;
}

char* curl_mvaprintf(const char* format, va_list args) {
  char small[512];
  va_list fast;
  va_copy(fast, args);
  strings::Output out(small, sizeof small);
  const bool done = strings::format(out, format, &fast) && out.length() < sizeof small;
  va_end(fast);
  if (!done) {
    ++strings::t_counts.left_to_libcurl;
    const auto original = strings::originals().mvaprintf;
    return original != nullptr ? original(format, args) : nullptr;
  }
  ++strings::t_counts.formatted;
  auto* text =
      static_cast<char*>(gfetch::net::detail::curl_memory::allocate_as_libcurl(out.length() + 1));
  if (text == nullptr) return nullptr;
  std::memcpy(text, small, out.length());
  text[out.length()] = '\0';
  return text;
}

char* curl_maprintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  char* text = curl_mvaprintf(format, args);
  va_end(args);
  return text;
}

}  // extern "C"
