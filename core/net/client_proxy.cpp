// Proxy selection for the client: environment read once, no_proxy applied here.
#include <cstdlib>

#include "net/detail/proxy.hpp"

namespace gfetch::net::detail {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string first_env(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::string value = env(name);
    if (!value.empty()) return value;
  }
  return {};
}

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

ProxyConfig ProxyConfig::load(const std::optional<std::string>& proxy,
                              const std::optional<std::string>& no_proxy) {
  ProxyConfig config;
  if (proxy) {
    config.http = config.https = *proxy;
  } else {
    std::string all = first_env({"all_proxy", "ALL_PROXY"});
    config.http = first_env({"http_proxy"});
    if (config.http.empty()) config.http = all;
    config.https = first_env({"https_proxy", "HTTPS_PROXY"});
    if (config.https.empty()) config.https = all;
  }
  config.no_proxy = no_proxy ? *no_proxy : first_env({"no_proxy", "NO_PROXY"});
  return config;
}

const std::string& ProxyConfig::choose(const Url& target,
                                       const std::optional<std::string>& explicit_proxy) const {
  static const std::string direct;
  if (explicit_proxy) return *explicit_proxy;
  const std::string& proxy = target.scheme == "https" ? https : http;
  if (proxy.empty() || matches_no_proxy(target.host, no_proxy)) return direct;
  return proxy;
}

bool proxy_resolves_names(std::string_view scheme) noexcept {
  return scheme != "socks4" && scheme != "socks5";
}

bool matches_no_proxy(std::string_view host, std::string_view no_proxy) noexcept {
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    std::size_t end = no_proxy.find_first_of(", ", start);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string_view entry = no_proxy.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.front() == '.') entry.remove_prefix(1);
    if (entry.size() >= 2 && entry.front() == '[' && entry.back() == ']') {
      entry = entry.substr(1, entry.size() - 2);
    }
    if (iequals(host, entry)) return true;
    if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
        iequals(host.substr(host.size() - entry.size()), entry)) {
      return true;
    }
  }
  return false;
}

}  // namespace gfetch::net::detail
