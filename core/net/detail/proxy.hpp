// detail::ProxyConfig: which proxy (if any) a request goes through. The proxy
// environment variables are read once, when a client starts, and the decision
// (no_proxy included) is made here, so libcurl never consults the environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/url.hpp"

namespace gfetch::net::detail {

struct ProxyConfig {
  std::string http;      // for http:// URLs; "" = direct
  std::string https;     // for https:// URLs
  std::string no_proxy;  // "*" or comma-separated host suffixes / IPs

  // Explicit settings win; otherwise http_proxy (lower case only, as curl: the
  // upper-case form can be set by a CGI request), https_proxy / HTTPS_PROXY,
  // all_proxy / ALL_PROXY, no_proxy / NO_PROXY.
  static ProxyConfig load(const std::optional<std::string>& proxy,
                          const std::optional<std::string>& no_proxy);

  // The proxy for `target` ("" = direct). `explicit_proxy` is the request's own.
  const std::string& choose(const Url& target,
                            const std::optional<std::string>& explicit_proxy) const;
};

// True when the proxy resolves target names itself (http, https, socks4a, socks5h
// proxies); socks4 and socks5 proxies need the client to resolve them.
bool proxy_resolves_names(std::string_view proxy_scheme) noexcept;

// Whether `host` matches a no_proxy list (curl's rules, without CIDR ranges).
bool matches_no_proxy(std::string_view host, std::string_view no_proxy) noexcept;

}  // namespace gfetch::net::detail
