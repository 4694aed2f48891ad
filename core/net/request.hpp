// net::Request: everything one fetch needs to know, as plain values. The defaults
// are a polite GET: follow redirects (10 hops), verify TLS, count the body without
// keeping it. Client::fetch takes it by const reference and never changes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gfetch::net {

struct Header {
  std::string name{};
  std::string value{};
  bool operator==(const Header&) const = default;
};
using Headers = std::vector<Header>;

// The value of the first header called `name` (ASCII case-insensitive), or null.
const std::string* find_header(const Headers& headers, std::string_view name) noexcept;
// Header names compare like this: ASCII letters case-insensitively, the rest exactly.
bool header_name_equals(std::string_view a, std::string_view b) noexcept;

enum class HttpVersion {
  any,                    // HTTP/2 over TLS when the server offers it, else HTTP/1.1
  http1_1,                // HTTP/1.1 only
  http2,                  // HTTP/2 (h2 over TLS, h2c upgrade over plain http)
  http2_prior_knowledge,  // HTTP/2 from the first byte, also over plain http (h2c)
};

// Where the body goes. discard: counted, never buffered (the default: memory does
// not grow with the body). memory: kept in Response::body, up to memory_cap bytes.
// file: streamed to `path` (created or truncated when the first transfer starts;
// after a failure it holds what arrived).
struct BodySink {
  enum class Kind { discard, memory, file };
  Kind kind = Kind::discard;
  std::uint64_t memory_cap = 64ull << 20;
  std::string path{};

  static BodySink discard() { return {}; }
  static BodySink memory(std::uint64_t cap = 64ull << 20) { return {Kind::memory, cap, {}}; }
  static BodySink file(std::string path) { return {Kind::file, 0, std::move(path)}; }
};

// Seconds; empty means no limit of that kind (connect then falls back to curl's 300 s).
struct Timeouts {
  std::optional<double> connect{};  // TCP connect + TLS handshake, per hop
  std::optional<double> total{};    // the whole fetch: DNS, every hop, the body
  std::optional<double> stall{};    // no byte received for this long once connected
                                    // (a slow upload is not watched)
  std::optional<double> dns{};      // each lookup (default: the resolver's own timeout)
};

struct RedirectPolicy {
  bool follow = true;
  int max_hops = 10;  // more than this many redirects: errc::too_many_redirects
};

struct TlsOptions {
  bool insecure = false;  // skip peer and host verification
  std::string ca_file{};  // PEM bundle to verify against; empty: the system's
};

// Every field has a default, so a designated initializer may name only a few:
// client.fetch(Request{.url = u, .sink = BodySink::memory()}).
struct Request {
  std::string method = "GET";
  std::string url{};
  Headers headers{};  // sent as given; one with an empty value has nothing after its colon
  // Headers libcurl or the client would add that are not to be sent (curl's
  // -H "Name:"): "Accept", "User-Agent", ...
  std::vector<std::string> remove_headers{};
  std::string body{};                       // sent if non-empty or method is POST/PUT/PATCH
  std::optional<std::string> user_agent{};  // empty: the client's default
  Timeouts timeouts{};
  RedirectPolicy redirects{};
  TlsOptions tls{};
  // Proxy URL ("http://host:3128", "socks5h://host"); "" forces a direct connection;
  // unset uses the client's default (from the environment, read once at start).
  std::optional<std::string> proxy{};
  // curl's --resolve: "host:port:addr[,addr...]" entries answer for that host and
  // port instead of DNS, on every hop ("[v6]" addresses in brackets).
  std::vector<std::string> resolve{};
  HttpVersion http_version = HttpVersion::any;
  // Sent as Accept-Encoding and decoded: "" = every encoding libcurl supports,
  // "gzip", ...; unset = none asked for, bodies are not decoded.
  std::optional<std::string> accept_encoding{};
  // Decoded body bytes allowed before errc::body_too_large; empty = no limit.
  std::optional<std::uint64_t> max_body_size{};
  // Response header bytes allowed (all header lines of a hop) before bad_response.
  std::uint64_t max_header_size = 256 * 1024;
  // Which response headers Response::headers keeps: unset = all of them; set = only
  // those named (ASCII case-insensitive), so a caller that reads one or two headers
  // pays nothing for the rest. Redirects work either way.
  std::optional<std::vector<std::string>> keep_headers{};
  BodySink sink{};
};

}  // namespace gfetch::net
