// Option value parsers (see values.hpp).
#include "cmd/values.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace gfetch::cli {
namespace {

// A finite decimal number spanning all of `text`.
bool to_double(std::string_view text, double& out) {
  if (text.empty() || text.front() == '+' || text.front() == ' ') return false;
  if (text.find_first_not_of("0123456789.-") != std::string_view::npos) return false;
  std::string copy(text);
  std::size_t used = 0;
  try {
    out = std::stod(copy, &used);
  } catch (...) {
    return false;
  }
  return used == copy.size() && std::isfinite(out);
}

}  // namespace

Parsed<std::int64_t> parse_count(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string expected =
      "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return {expected};
  }
  return {value};
}

Parsed<double> parse_seconds(std::string_view text, bool positive) {
  double value = 0;
  if (!to_double(text, value) || value < 0 || (positive && value == 0) || value > 1e7) {
    return {std::string(positive ? "expected seconds > 0, such as 30 or 0.5"
                                 : "expected seconds >= 0, such as 30 or 0.5")};
  }
  return {value};
}

Parsed<double> parse_rate(std::string_view text) {
  std::string_view number = text;
  double per = 1;
  if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    number = text.substr(0, slash);
    std::string_view unit = text.substr(slash + 1);
    if (unit == "s" || unit == "sec") {
      per = 1;
    } else if (unit == "m" || unit == "min") {
      per = 60;
    } else if (unit == "h" || unit == "hour") {
      per = 3600;
    } else {
      per = 0;
    }
  }
  double value = 0;
  if (per == 0 || !to_double(number, value) || value <= 0 || value > 1e9) {
    return {std::string("expected a rate such as 10, 10/s, 100/m or 1000/h")};
  }
  return {value / per};
}

Parsed<std::uint64_t> parse_bytes(std::string_view text) {
  std::uint64_t scale = 1;
  std::string_view number = text;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        scale = 1ull << 10;
        break;
      case 'm':
      case 'M':
        scale = 1ull << 20;
        break;
      case 'g':
      case 'G':
        scale = 1ull << 30;
        break;
      default:
        break;
    }
    if (scale != 1) number.remove_suffix(1);
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc() || end != number.data() + number.size() ||
      value > (~0ull) / scale) {
    return {std::string("expected a byte count such as 1000, 64k, 10M or 2G")};
  }
  return {value * scale};
}

}  // namespace gfetch::cli
