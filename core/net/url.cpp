// URL helpers on libcurl's CURLU API: validation, normalisation, redirect targets.
#include "net/url.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <cstdlib>
#include <memory>

namespace gfetch::net {
namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// Spaces and control bytes in paths are percent-encoded rather than rejected:
// Location headers in the wild carry them.
constexpr unsigned kSetFlags = CURLU_URLENCODE;

std::string get_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) return {};
  std::string result(text);
  curl_free(text);
  return result;
}

std::string strip_brackets(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// Reads the parts of a parsed http(s) URL; empty (with `why`) for other schemes.
std::optional<Url> describe(CURLU* handle, std::string* why) {
  Url url;
  url.scheme = get_part(handle, CURLUPART_SCHEME);
  if (url.scheme != "http" && url.scheme != "https") {
    if (why) *why = "unsupported scheme \"" + url.scheme + "\" (only http and https)";
    return std::nullopt;
  }
  // Host names are case-insensitive: keep one spelling, lower case.
  std::string host = get_part(handle, CURLUPART_HOST);
  std::string lower = host;
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower != host) curl_url_set(handle, CURLUPART_HOST, lower.c_str(), 0);
  // The ASCII (punycode) form: what libcurl looks up in its DNS cache, so the
  // CURLOPT_RESOLVE entries made from it match.
  url.host = strip_brackets(get_part(handle, CURLUPART_HOST, CURLU_PUNYCODE));
  if (url.host.empty()) url.host = strip_brackets(get_part(handle, CURLUPART_HOST));
  if (url.host.empty()) {
    if (why) *why = "no host name";
    return std::nullopt;
  }
  url.port = std::atoi(get_part(handle, CURLUPART_PORT, CURLU_DEFAULT_PORT).c_str());
  url.href = get_part(handle, CURLUPART_URL);
  return url;
}

bool set_url(CURLU* handle, const std::string& text, unsigned flags, std::string* why) {
  CURLUcode code = curl_url_set(handle, CURLUPART_URL, text.c_str(), flags);
  if (code == CURLUE_OK) return true;
  if (why) *why = curl_url_strerror(code);
  return false;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text, std::string* why,
                             std::string_view default_scheme) {
  UrlHandle handle(curl_url());
  if (!handle) return std::nullopt;
  std::string input(text);
  std::string first_error;
  if (!set_url(handle.get(), input, kSetFlags, &first_error)) {
    // Without a scheme libcurl refuses the URL; retry with the caller's default.
    std::string with_scheme = std::string(default_scheme) + "://" + input;
    if (default_scheme.empty() || !set_url(handle.get(), with_scheme, kSetFlags, nullptr)) {
      if (why) *why = first_error;
      return std::nullopt;
    }
  }
  return describe(handle.get(), why);
}

std::optional<Url> resolve_url(std::string_view base, std::string_view reference,
                               std::string* why) {
  UrlHandle handle(curl_url());
  if (!handle) return std::nullopt;
  if (!set_url(handle.get(), std::string(base), kSetFlags, why)) return std::nullopt;
  // Setting a URL on a populated handle resolves it relative to the one it holds.
  if (!set_url(handle.get(), std::string(reference), kSetFlags, why)) return std::nullopt;
  return describe(handle.get(), why);
}

bool is_ip_literal(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char text[INET6_ADDRSTRLEN + 1];
  if (host.empty() || host.size() >= sizeof text) return false;
  host.copy(text, host.size());
  text[host.size()] = '\0';
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, text, address) == 1 || inet_pton(AF_INET6, text, address) == 1;
}

std::optional<Url> parse_proxy_url(std::string_view text) {
  UrlHandle handle(curl_url());
  if (!handle || text.empty()) return std::nullopt;
  // libcurl's URL API knows no socks schemes: parse generically, default http.
  std::string input(text);
  constexpr unsigned kFlags = CURLU_NON_SUPPORT_SCHEME;
  if (!set_url(handle.get(), input, kFlags, nullptr) &&
      !set_url(handle.get(), "http://" + input, kFlags, nullptr)) {
    return std::nullopt;
  }
  Url url;
  url.scheme = get_part(handle.get(), CURLUPART_SCHEME);
  url.host = strip_brackets(get_part(handle.get(), CURLUPART_HOST));
  url.href = get_part(handle.get(), CURLUPART_URL);
  std::string port = get_part(handle.get(), CURLUPART_PORT);
  if (!port.empty()) {
    url.port = std::atoi(port.c_str());
  } else {
    url.port = url.scheme == "https" ? 443 : 1080;  // libcurl's defaults
  }
  if (url.host.empty()) return std::nullopt;
  return url;
}

}  // namespace gfetch::net
