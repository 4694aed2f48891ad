// URL helpers: parse_url's fast path for canonical URLs and its libcurl (CURLU)
// reference and fallback, redirect targets, IP literals and proxy URLs. The fast
// path must give exactly what CURLU gives; tests/net/url_test.cpp compares them.
#include "net/url.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <locale.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <memory>

#include "net/detail/curl_memory.hpp"
#include "net/detail/url_parse.hpp"

namespace gfetch::net {
namespace {

// --- the fast path ----------------------------------------------------------------

// Longer input goes to libcurl (which takes up to 8,000,000 bytes).
constexpr std::size_t kMaxFastLength = 1 << 16;

// Byte classes, one bit each. A part's class holds the bytes the fast path takes in
// that part: ones libcurl 7.88 keeps as they are. Left to curl, though it keeps some
// of them: '#', '[', ']', '\\', '"', '<', '>', '^', '`', '{', '|', '}'; spaces and
// bytes >= 0x80 (it encodes them, or reads an IDN host). kNumberChar: dots and the
// bytes of strtoul's base-0 numbers. The loops below OR and AND these bits over a
// part rather than test each byte several times.
enum : unsigned char {
  kHostChar = 1,
  kPathChar = 2,
  kQueryChar = 4,
  kNumberChar = 8,
  kUpperChar = 16,
  kDotChar = 32,
};

constexpr std::array<unsigned char, 256> make_char_classes() {
  std::array<unsigned char, 256> classes{};
  auto mark = [&classes](std::string_view chars, unsigned char bits) {
    for (char c : chars) classes[static_cast<unsigned char>(c)] |= bits;
  };
  mark("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._",
       kHostChar | kPathChar | kQueryChar);
  mark("~!$&'()*+,;=:@/%", kPathChar | kQueryChar);
  mark("?", kQueryChar);
  mark("0123456789abcdefABCDEFxX.", kNumberChar);
  mark("ABCDEFGHIJKLMNOPQRSTUVWXYZ", kUpperChar);
  mark(".", kDotChar);
  return classes;
}
constexpr std::array<unsigned char, 256> kCharClasses = make_char_classes();

unsigned char classes_of(char c) {
  return kCharClasses[static_cast<unsigned char>(c)];
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
char to_lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive prefix test; `prefix` is lower case.
bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.starts_with(prefix)) return true;
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (to_lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// "a.b.c.d", each 0-255 in decimal without leading zeros. Called for every URL
// with a numeric host, so it reads each octet straight, with no per-byte state.
bool is_canonical_ipv4(std::string_view host) {
  const char* p = host.data();
  const char* const end = p + host.size();
  auto digit = [&p, end]() -> unsigned {  // the digit at p, or 10 for anything else
    return p != end && *p >= '0' && *p <= '9' ? static_cast<unsigned>(*p - '0') : 10u;
  };
  for (int octet = 0;; ++octet) {
    unsigned value = digit();
    if (value > 9) return false;
    ++p;
    if (unsigned next = digit(); next <= 9) {
      if (value == 0) return false;  // a leading 0 stands alone
      value = value * 10 + next;
      ++p;
      if ((next = digit()) <= 9) {
        value = value * 10 + next;
        ++p;
        if (value > 255 || digit() <= 9) return false;  // too big, or a fourth digit
      }
    }
    if (octet == 3) return p == end;
    if (p == end || *p != '.') return false;
    ++p;
  }
}

// text[from, to) without substr's bounds check (the scanners stay inside text).
std::string_view slice(std::string_view text, std::size_t from, std::size_t to) {
  return {text.data() + from, to - from};
}

// True when a segment of `path` is "." or "..": curl removes those.
bool has_dot_segment(std::string_view path) {
  for (std::size_t at = path.find("/."); at != std::string_view::npos;
       at = path.find("/.", at + 1)) {
    std::string_view rest = path.substr(at + 2);
    if (!rest.empty() && rest.front() == '.') rest.remove_prefix(1);
    if (rest.empty() || rest.front() == '/') return true;
  }
  return false;
}

// Where the parts of a canonical URL lie in its text.
struct Canonical {
  std::string_view scheme;    // "http" or "https"
  std::string_view host;      // as written
  std::string_view port;      // digits, or empty
  std::string_view path;      // empty, or from its '/'
  std::string_view query;     // without the '?'
  int port_number = 0;        // the port, or the scheme's default
  bool fold_host = false;     // the host has upper-case letters
  bool text_is_href = false;  // libcurl would write the text back as it is
};

// Host and port from text[pos]; the position after them, or npos when libcurl might
// read them differently. curl rewrites numeric IPv4 forms ("127.1", "0x7f.0.0.1",
// "010.0.0.1", "1234"): it reads dot-separated strtoul(base 0) numbers, so a host
// that starts with a digit and has only bytes such numbers are made of must be a
// canonical dotted quad. Empty labels (".a", "a..b", a trailing dot) go to curl too.
std::size_t scan_authority(std::string_view text, std::size_t pos, bool has_scheme,
                           Canonical& out) {
  const std::size_t start = pos;
  unsigned char all = 0xff;  // the bits every byte has
  unsigned char any = 0;     // the bits some byte has
  for (; pos < text.size(); ++pos) {
    const unsigned char classes = classes_of(text[pos]);
    if (!(classes & kHostChar)) break;
    all &= classes;
    any |= classes;
  }
  out.host = slice(text, start, pos);
  if (out.host.empty() || out.host.back() == '.') return std::string_view::npos;
  if ((any & kDotChar) &&
      (out.host.front() == '.' || out.host.find("..") != std::string_view::npos)) {
    return std::string_view::npos;  // an empty label
  }
  if (is_digit(out.host.front()) && (all & kNumberChar) && !is_canonical_ipv4(out.host)) {
    return std::string_view::npos;
  }
  out.fold_host = any & kUpperChar;
  out.port_number = out.scheme == "https" ? 443 : 80;
  if (pos == text.size() || text[pos] != ':') return pos;
  // Without "scheme://", curl takes "name:" for a scheme ("file:8080/x" is a file
  // URL); no scheme it knows starts with a digit.
  if (!has_scheme && !is_digit(text.front())) return std::string_view::npos;
  const std::size_t port_start = ++pos;
  const std::size_t port_limit = std::min(text.size(), port_start + 5);
  int port = 0;
  while (pos < port_limit && is_digit(text[pos])) port = port * 10 + text[pos++] - '0';
  out.port = slice(text, port_start, pos);
  // Empty, leading zeros, 0 and > 65535 go to curl.
  if (out.port.empty() || out.port.front() == '0' || port > 65535) return std::string_view::npos;
  out.port_number = port;
  return pos;
}

// The parts of a canonical URL (see detail::parse_url_fast), or nothing.
std::optional<Canonical> scan_canonical(std::string_view text, std::string_view default_scheme) {
  if (text.size() > kMaxFastLength) return std::nullopt;
  Canonical out;
  bool has_scheme = true;
  std::size_t pos = 0;
  if (starts_with_nocase(text, "http://")) {
    out.scheme = "http";
  } else if (starts_with_nocase(text, "https://")) {
    out.scheme = "https";
  } else if (default_scheme == "http" || default_scheme == "https") {
    out.scheme = default_scheme;
    has_scheme = false;
  } else {
    return std::nullopt;
  }
  if (has_scheme) pos = out.scheme.size() + 3;
  pos = scan_authority(text, pos, has_scheme, out);
  if (pos == std::string_view::npos) return std::nullopt;

  const std::size_t path_start = pos;
  unsigned char any = 0;  // the bits some byte of the path has
  if (pos < text.size() && text[pos] == '/') {
    for (++pos; pos < text.size(); ++pos) {
      const unsigned char classes = classes_of(text[pos]);
      if (!(classes & kPathChar)) break;
      any |= classes;
    }
  }
  out.path = slice(text, path_start, pos);
  if ((any & kDotChar) && has_dot_segment(out.path)) return std::nullopt;
  if (pos < text.size()) {
    if (text[pos] != '?') return std::nullopt;  // '#', '@', '[', a space, ...
    const std::size_t query_start = ++pos;
    while (pos < text.size() && (classes_of(text[pos]) & kQueryChar)) ++pos;
    // A lone '?' is dropped by curl: left to it.
    if (pos == query_start || pos != text.size()) return std::nullopt;
    out.query = slice(text, query_start, text.size());
  }
  out.text_is_href =
      has_scheme && !out.fold_host && !out.path.empty() && text.starts_with(out.scheme);
  return out;
}

// Builds the Url of a canonical URL's text from its parts.
void build_url(std::string_view text, const Canonical& parts, Url& url) {
  // append, not assign: the strings are empty, and assign goes through
  // libstdc++'s general _M_replace (~95 instructions a call, five per URL).
  url.scheme.append(parts.scheme);
  url.host.append(parts.host);
  if (parts.fold_host) {
    for (char& c : url.host) c = to_lower(c);
  }
  url.port = parts.port_number;
  if (parts.path.empty()) {
    url.path.push_back('/');
  } else {
    url.path.append(parts.path);
  }
  url.query.append(parts.query);
  if (parts.text_is_href) {
    url.href.append(text);
  } else {
    url.href.reserve(url.scheme.size() + 4 + url.host.size() + parts.port.size() + url.path.size() +
                     1 + url.query.size());
    url.href.append(url.scheme).append("://").append(url.host);
    if (!parts.port.empty()) url.href.append(1, ':').append(parts.port);
    url.href.append(url.path);
    if (!url.query.empty()) url.href.append(1, '?').append(url.query);
  }
}

std::uint32_t offset_in(std::string_view text, std::string_view part) {
  return static_cast<std::uint32_t>(part.data() + part.size() - text.data());
}

// The parts again, from a layout of the same text (see UrlLayout).
Canonical parts_of(std::string_view text, const UrlLayout& layout) {
  Canonical parts;
  parts.scheme = layout.https ? "https" : "http";
  parts.host = slice(text, parts.scheme.size() + 3, layout.host_end);
  if (layout.port_end != layout.host_end) {
    parts.port = slice(text, layout.host_end + 1, layout.port_end);
  }
  parts.path = slice(text, layout.port_end, layout.path_end);
  if (layout.path_end != text.size()) parts.query = slice(text, layout.path_end + 1, text.size());
  parts.port_number = layout.port;
  parts.fold_host = layout.fold_host;
  parts.text_is_href = layout.text_is_href;
  return parts;
}

// --- libcurl's URL API --------------------------------------------------------------

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// libcurl allocates the handle: its allocator must be in place first.
CURLU* new_curl_url() {
  detail::ensure_curl_initialised();
  return curl_url();
}

// Spaces and control bytes in paths are percent-encoded rather than rejected:
// Location headers in the wild carry them.
constexpr unsigned kSetFlags = CURLU_URLENCODE;

// The part, or "" when the URL has none. libcurl 7.88 can fail and still hand
// back a string (CURLU_PUNYCODE on an IDN host gives the UTF-8 name with
// CURLUE_OUT_OF_MEMORY): it is freed either way.
std::string get_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  CURLUcode code = curl_url_get(url, part, &text, flags);
  std::string result(code == CURLUE_OK && text != nullptr ? text : "");
  curl_free(text);
  return result;
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// libcurl 7.88 converts an IDN host with libidn2's idn2_lookup_ul, which reads it
// in the charset of the calling thread's LC_CTYPE: in the "C" locale of a program
// that never calls setlocale (gfetch, its tests) every non-ASCII name fails. URLs
// are UTF-8 whatever the user's locale, so the conversion runs with this thread's
// LC_CTYPE set to C.UTF-8 (uselocale is per thread; nothing else changes).
class Utf8Ctype {
 public:
  Utf8Ctype() {
    static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
    if (utf8 != locale_t{}) previous_ = uselocale(utf8);
  }
  ~Utf8Ctype() {
    if (previous_ != locale_t{}) uselocale(previous_);
  }
  Utf8Ctype(const Utf8Ctype&) = delete;
  Utf8Ctype& operator=(const Utf8Ctype&) = delete;

 private:
  locale_t previous_{};
};

// `host`, the handle's host as written, in the form DNS and the Host header use:
// lower case, an IDN in punycode (IDNA2008 with UTS #46 mapping, as libcurl does
// it). Empty when a non-ASCII name does not convert (not UTF-8, or not an IDN).
std::string ascii_host_of(CURLU* handle, std::string host) {
  if (!is_ascii(host)) {
    Utf8Ctype utf8;
    host = get_part(handle, CURLUPART_HOST, CURLU_PUNYCODE);
    if (host.empty() || !is_ascii(host)) return {};
  }
  for (char& c : host) c = to_lower(c);
  return host;
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
    if (why) *why = "unsupported scheme '" + url.scheme + "' (only http and https)";
    return std::nullopt;
  }
  // One spelling of the host, the one DNS and the Host header use: lower case, an
  // IDN in punycode. The href carries it too, so libcurl never sees a non-ASCII
  // name (and looks up the CURLOPT_RESOLVE entries made from url.host).
  const std::string written = get_part(handle, CURLUPART_HOST);
  std::string host = ascii_host_of(handle, written);
  if (host.empty() && !written.empty()) {
    if (why) *why = "bad international host name '" + written + "' (not UTF-8, or not a valid IDN)";
    return std::nullopt;
  }
  if (host != written) curl_url_set(handle, CURLUPART_HOST, host.c_str(), 0);
  url.host = strip_brackets(std::move(host));
  if (url.host.empty()) {
    if (why) *why = "no host name";
    return std::nullopt;
  }
  url.port = std::atoi(get_part(handle, CURLUPART_PORT, CURLU_DEFAULT_PORT).c_str());
  url.path = get_part(handle, CURLUPART_PATH);
  url.query = get_part(handle, CURLUPART_QUERY);
  url.href = get_part(handle, CURLUPART_URL);
  return url;
}

// gfetch's words for libcurl's URL errors: what is wrong, in the user's terms.
std::string explain(CURLUcode code, const std::string& text) {
  switch (code) {
    case CURLUE_BAD_PORT_NUMBER:
      return "bad port (not a decimal number up to 65535)";
    case CURLUE_NO_HOST:
      return "no host";
    case CURLUE_BAD_HOSTNAME:
      return "bad character in host name";
    case CURLUE_BAD_IPV6:
      if (text.find('[') != std::string::npos && text.find(']') == std::string::npos) {
        return "unterminated IPv6 address (no ']')";
      }
      return "bad IPv6 address";
    case CURLUE_BAD_SCHEME:
      return "no scheme, or a malformed one (only http:// and https://)";
    case CURLUE_UNSUPPORTED_SCHEME:
      return "unsupported scheme (only http and https)";
    default:
      return curl_url_strerror(code);
  }
}

bool set_url(CURLU* handle, const std::string& text, unsigned flags, std::string* why) {
  CURLUcode code = curl_url_set(handle, CURLUPART_URL, text.c_str(), flags);
  if (code == CURLUE_OK) return true;
  if (why) *why = explain(code, text);
  return false;
}

}  // namespace

namespace detail {

std::optional<Url> parse_url_fast(std::string_view text, std::string_view default_scheme) {
  std::optional<Url> url;  // one named result, built in place
  std::optional<Canonical> parts = scan_canonical(text, default_scheme);
  if (parts) build_url(text, *parts, url.emplace());
  return url;
}

void parse_url_into(std::string_view text, const UrlLayout& layout, Url& url) {
  build_url(text, parts_of(text, layout), url);
}

std::optional<Url> parse_url_curl(std::string_view text, std::string* why,
                                  std::string_view default_scheme) {
  UrlHandle handle(new_curl_url());
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

}  // namespace detail

std::optional<UrlLayout> scan_url_layout(std::string_view text) noexcept {
  std::optional<UrlLayout> layout;
  std::optional<Canonical> parts = scan_canonical(text, {});
  if (!parts || parts->port_number == 0) return layout;
  // scan_canonical takes no text longer than 2^16 bytes: the offsets fit.
  layout.emplace();
  layout->host_end = offset_in(text, parts->host);
  layout->port_end = parts->port.empty() ? layout->host_end : offset_in(text, parts->port);
  layout->path_end = parts->path.empty() ? layout->port_end : offset_in(text, parts->path);
  layout->port = static_cast<std::uint16_t>(parts->port_number);
  layout->https = parts->scheme.size() == 5;
  layout->fold_host = parts->fold_host;
  layout->text_is_href = parts->text_is_href;
  return layout;
}

Url parse_url(std::string_view text, const UrlLayout& layout) {
  Url url;
  detail::parse_url_into(text, layout, url);
  return url;
}

std::optional<Url> parse_url(std::string_view text, std::string* why,
                             std::string_view default_scheme) {
  std::optional<Url> url = detail::parse_url_fast(text, default_scheme);
  if (!url) url = detail::parse_url_curl(text, why, default_scheme);
  return url;
}

std::optional<Url> resolve_url(std::string_view base, std::string_view reference,
                               std::string* why) {
  UrlHandle handle(new_curl_url());
  if (!handle) return std::nullopt;
  if (!set_url(handle.get(), std::string(base), kSetFlags, why)) return std::nullopt;
  // Setting a URL on a populated handle resolves it relative to the one it holds.
  if (!set_url(handle.get(), std::string(reference), kSetFlags, why)) return std::nullopt;
  return describe(handle.get(), why);
}

std::string ascii_host(std::string_view host) {
  if (is_ascii(host)) {
    std::string lower(host);
    for (char& c : lower) c = to_lower(c);
    return lower;
  }
  UrlHandle handle(new_curl_url());
  if (!handle || !set_url(handle.get(), "http://" + std::string(host) + "/", kSetFlags, nullptr)) {
    return {};
  }
  return ascii_host_of(handle.get(), get_part(handle.get(), CURLUPART_HOST));
}

bool is_ip_literal(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // inet_pton's IPv4 form is the canonical dotted quad; a name is not an address.
  if (host.find(':') == std::string_view::npos) return is_canonical_ipv4(host);
  char text[INET6_ADDRSTRLEN + 1];
  if (host.empty() || host.size() >= sizeof text) return false;
  host.copy(text, host.size());
  text[host.size()] = '\0';
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, text, address) == 1 || inet_pton(AF_INET6, text, address) == 1;
}

std::optional<Url> parse_proxy_url(std::string_view text) {
  UrlHandle handle(new_curl_url());
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
