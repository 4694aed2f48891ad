// Retry decisions and delays (see retry.hpp).
#include "fetch/retry.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "net/error.hpp"

namespace gfetch {

bool retryable_error(const std::error_code& error) noexcept {
  using net::errc;
  if (error.category() != net::gfetch_category()) return false;
  switch (static_cast<errc>(error.value())) {
    case errc::dns_timeout:
    case errc::connect_refused:
    case errc::connect_failed:
    case errc::connect_timeout:
    case errc::total_timeout:
    case errc::stall_timeout:
    case errc::connection_reset:
      return true;
    default:
      return false;
  }
}

bool retryable_status(int status) noexcept {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

std::optional<double> parse_retry_after(std::string_view value, std::time_t now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return 1e9;
    return std::stod(std::string(value));
  }
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::time_t when = timegm(&tm);
  return std::max(0.0, std::difftime(when, now));
}

double backoff_delay(int attempt, double base, double cap, double random01) noexcept {
  double exponential = base * std::pow(2.0, std::max(0, attempt - 1));
  double jittered = exponential * (0.5 + 0.5 * std::clamp(random01, 0.0, 1.0));
  return std::min(jittered, cap);
}

}  // namespace gfetch
