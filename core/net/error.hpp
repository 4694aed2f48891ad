// Per-URL failure kinds of gfetch's network layer, as std::error_code values:
// failures are values, never exceptions. gfetch::net::errc holds gfetch's own
// conditions (timeout kinds, DNS outcomes, limits); libcurl's CURLcode values are
// carried in curl_category() so nothing is lost in translation.
#pragma once

#include <string>
#include <system_error>

namespace gfetch::net {

enum class errc {
  ok = 0,
  invalid_url,         // the URL does not parse or has an unsupported scheme
  dns_not_found,       // NXDOMAIN / no address of the wanted family
  dns_timeout,         // no answer from the DNS servers in time
  dns_failure,         // any other resolver failure (SERVFAIL, refused, bad reply)
  connect_refused,     // ECONNREFUSED
  connect_failed,      // other connect failures (unreachable, reset during connect)
  connect_timeout,     // connect (TCP + TLS handshake) took too long
  total_timeout,       // the whole transfer exceeded its time limit
  stall_timeout,       // no byte received for the stall period
  tls_failure,         // handshake or certificate verification failed
  too_many_redirects,  // the redirect limit was hit
  body_too_large,      // body exceeded the configured maximum
  bad_response,        // malformed status line / headers, or too large headers
  connection_reset,    // the peer reset or closed mid-transfer
  write_failed,        // the body could not be written (disk full, ...)
  cancelled,           // the fetch was cancelled (kill, deadline, Ctrl-C)
  http_error,          // HTTP status >= 400 where the caller asked to fail on it
  other,               // anything else (see the message)
};

const std::error_category& gfetch_category() noexcept;
// Carries CURLcode values (curl_easy_strerror text) for codes with no errc mapping.
const std::error_category& curl_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), gfetch_category()};
}

// A short, stable, machine-friendly name for an error: "dns-timeout",
// "connect-refused", "curl-56", ... ("" for no error). Used in reports.
std::string error_kind(const std::error_code& error);

}  // namespace gfetch::net

template <>
struct std::is_error_code_enum<gfetch::net::errc> : std::true_type {};
