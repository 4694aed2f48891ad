// --retries: which failures are worth another attempt, and how long to wait
// before it — exponential backoff from --retry-delay with jitter, or the server's
// Retry-After (seconds or an HTTP date), both capped by --retry-max-delay.
#pragma once

#include <ctime>
#include <optional>
#include <string_view>
#include <system_error>

namespace gfetch {

// Connection errors, timeouts, and HTTP 408/429/500/502/503/504 are retryable;
// anything else (DNS name not found, TLS, 404, a cancelled fetch, ...) is final.
bool retryable_error(const std::error_code& error) noexcept;
bool retryable_status(int status) noexcept;

// Retry-After's value as seconds from `now`: "120" or an IMF-fixdate
// ("Wed, 21 Oct 2015 07:28:00 GMT"). Empty when it does not parse; never negative.
std::optional<double> parse_retry_after(std::string_view value, std::time_t now);

// The wait before attempt `attempt + 1` after `attempt` failed (attempt >= 1):
// base * 2^(attempt-1), scaled by a jitter factor in [0.5, 1) from `random01`
// (uniform in [0, 1)), at most `cap`.
double backoff_delay(int attempt, double base, double cap, double random01) noexcept;

}  // namespace gfetch
