// The error categories of the network layer.
#include "net/error.hpp"

#include <curl/curl.h>

#include <string>

namespace gfetch::net {
namespace {

struct Entry {
  errc code;
  const char* kind;
  const char* message;
};

constexpr Entry kEntries[] = {
    {errc::ok, "", "success"},
    {errc::invalid_url, "invalid-url", "invalid URL"},
    {errc::dns_not_found, "dns-not-found", "host name not found"},
    {errc::dns_timeout, "dns-timeout", "DNS lookup timed out"},
    {errc::dns_failure, "dns-failure", "DNS lookup failed"},
    {errc::connect_refused, "connect-refused", "connection refused"},
    {errc::connect_failed, "connect-failed", "could not connect"},
    {errc::connect_timeout, "connect-timeout", "connect timed out"},
    {errc::total_timeout, "timeout", "transfer timed out"},
    {errc::stall_timeout, "stall-timeout", "no data received within the stall timeout"},
    {errc::tls_failure, "tls-failure", "TLS handshake or verification failed"},
    {errc::too_many_redirects, "too-many-redirects", "too many redirects"},
    {errc::body_too_large, "body-too-large", "body exceeds the size limit"},
    {errc::bad_response, "bad-response", "malformed HTTP response"},
    {errc::connection_reset, "connection-reset", "connection reset or closed by peer"},
    {errc::write_failed, "write-failed", "could not write the body"},
    {errc::cancelled, "cancelled", "cancelled"},
    {errc::http_error, "http-error", "HTTP error status"},
    {errc::other, "error", "error"},
};

const Entry* find(int value) {
  for (const Entry& entry : kEntries) {
    if (static_cast<int>(entry.code) == value) return &entry;
  }
  return nullptr;
}

class GfetchCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gfetch"; }
  std::string message(int value) const override {
    const Entry* entry = find(value);
    return entry ? entry->message : "unknown gfetch error";
  }
};

class CurlCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "curl"; }
  std::string message(int value) const override {
    return curl_easy_strerror(static_cast<CURLcode>(value));
  }
};

}  // namespace

const std::error_category& gfetch_category() noexcept {
  static const GfetchCategory category;
  return category;
}

const std::error_category& curl_category() noexcept {
  static const CurlCategory category;
  return category;
}

std::string error_kind(const std::error_code& error) {
  if (!error) return "";
  if (error.category() == gfetch_category()) {
    const Entry* entry = find(error.value());
    return entry ? entry->kind : "error";
  }
  // Stable names for the curl codes that have no errc mapping.
  if (error.category() == curl_category()) return "curl-" + std::to_string(error.value());
  return "error";
}

}  // namespace gfetch::net
