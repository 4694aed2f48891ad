// URL helpers of the network layer. parse_url validates and normalises an absolute
// http(s) URL: canonical ones ("http://host[:port][/path][?query]" in plain ASCII,
// nothing for libcurl to rewrite) on a hand-written fast path, everything else on
// libcurl's URL API (CURLU), which is the reference: the fast path must give exactly
// what CURLU gives, and tests compare the two (detail/url_parse.hpp). resolve_url
// (a redirect's Location against a base URL) and parse_proxy_url use CURLU only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gfetch::net {

struct Url {
  std::string href;    // the normalised URL, as libcurl writes it back
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case, without IPv6 brackets; an IDN in punycode (the href too)
  int port = 0;        // explicit, or the scheme's default
  std::string path;    // as libcurl holds it (CURLUPART_PATH): starts with '/', never empty
  std::string query;   // without the '?', as CURLUPART_QUERY gives it; "" when none
};

// An absolute http:// or https:// URL; with default_scheme, a URL without a scheme
// ("example.com/x") gets that one. Empty on anything else; `why` says what is wrong.
std::optional<Url> parse_url(std::string_view text, std::string* why = nullptr,
                             std::string_view default_scheme = {});

// Where the parts of a canonical URL (the ones parse_url reads without libcurl)
// lie in its text: what one scan finds. A URL checked when it is read and fetched
// later (the CLI's input) is scanned once: scan_url_layout, then
// parse_url(text, layout). The host starts after "http://" or "https://".
struct UrlLayout {
  std::uint32_t host_end = 0;  // then ":port" up to port_end (== host_end when none)
  std::uint32_t port_end = 0;  // then the path up to path_end (empty: none)
  std::uint32_t path_end = 0;  // then "?query" to the end of the text, or nothing
  std::uint16_t port = 0;      // explicit, or the scheme's default
  bool https = false;
  bool fold_host = false;     // the host has upper-case letters
  bool text_is_href = false;  // libcurl would write the text back as it is
  bool operator==(const UrlLayout&) const = default;
};

// The layout of `text` when it is a canonical http(s) URL, scheme included, with a
// port other than 0. Empty says nothing: parse_url(text) decides.
std::optional<UrlLayout> scan_url_layout(std::string_view text) noexcept;

// parse_url(text), read off its layout without scanning: `layout` must be what
// scan_url_layout(text) returned for this very text.
Url parse_url(std::string_view text, const UrlLayout& layout);

// `reference` (absolute, or relative like "../b?c") against `base`, as a browser and
// curl follow a Location header. Empty when the result is not an http(s) URL.
std::optional<Url> resolve_url(std::string_view base, std::string_view reference,
                               std::string* why = nullptr);

// A host name spelled as Url::host spells it (lower case, an IDN in punycode), so
// that a name given apart from a URL (--resolve) matches the URL's. Empty when a
// non-ASCII name does not convert.
std::string ascii_host(std::string_view host);

// True for "127.0.0.1", "::1", "[::1]": hosts that need no DNS.
bool is_ip_literal(std::string_view host) noexcept;

// A proxy URL's scheme, host and port, with libcurl's defaults (scheme http; port
// 443 for https, else 1080). Empty if it does not parse.
std::optional<Url> parse_proxy_url(std::string_view text);

}  // namespace gfetch::net
