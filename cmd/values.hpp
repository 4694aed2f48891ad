// Parsers for option values: counts, seconds, rates, byte sizes. Each returns the
// value or an explanation of what was expected, never throws, so the CLI can
// report every bad flag of a command line at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace gfetch::cli {

// A parsed value, or the reason it is not one ("expected a whole number from 1 to
// 100000").
template <class T>
struct Parsed {
  std::variant<T, std::string> value;
  bool ok() const noexcept { return value.index() == 0; }
  const T& get() const { return std::get<0>(value); }
  const std::string& why() const { return std::get<1>(value); }
};

// A whole number in [min, max].
Parsed<std::int64_t> parse_count(std::string_view text, std::int64_t min, std::int64_t max);
// Seconds as a decimal ("30", "0.5"), >= 0 (> 0 when positive is true), finite.
Parsed<double> parse_seconds(std::string_view text, bool positive = true);
// A rate "N", "N/s", "N/m" (per minute) or "N/h": starts per second, > 0.
Parsed<double> parse_rate(std::string_view text);
// A byte count with an optional binary suffix: "1000", "64k", "10M", "2G".
Parsed<std::uint64_t> parse_bytes(std::string_view text);

}  // namespace gfetch::cli
