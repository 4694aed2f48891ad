// net::Resolver: DNS on the hub. One long-lived c-ares channel per Resolver, driven
// by hub fd watchers and one hub timer; a TTL cache with negative entries; concurrent
// lookups of one name share one query. resolve() suspends only the calling greenlet
// and returns per-name failures as values (errc::dns_*), never as exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace green {
class Hub;
}

namespace gfetch::net {

struct ResolveResult {
  std::error_code error;               // errc::dns_* on failure
  std::vector<std::string> addresses;  // textual IPs, IPv4 first then IPv6 (per family)
  double ttl = 0;                      // seconds the answer may be cached
  bool from_cache = false;
};

class Resolver {
 public:
  struct Options {
    // "127.0.0.1:5353", "[::1]:53", "10.0.0.1"; empty = the system's resolv.conf.
    std::vector<std::string> servers;
    // Per-lookup default, in seconds. c-ares itself gives up after about this long
    // (its per-try timeout is derived from it), so a longer per-call timeout cannot
    // extend a lookup beyond it; a shorter one ends the wait early.
    double timeout = 5;
    int tries = 2;               // attempts per server
    bool use_hosts_file = true;  // /etc/hosts before DNS (c-ares lookups "fb")
    double negative_ttl = 5;     // how long "not found" answers are cached
    double max_ttl = 300;        // cap on any cached answer's lifetime
    int family = 0;              // AF_UNSPEC (both), AF_INET or AF_INET6
  };

  // The channel starts on `hub` at once. Throws std::invalid_argument for a bad
  // option (server list, family, tries, timeout) and std::runtime_error when c-ares
  // cannot start. Must be constructed, used and destroyed on the hub's thread.
  explicit Resolver(green::Hub& hub);
  Resolver(green::Hub& hub, Options options);
  // Abandons queries in flight. No greenlet may be inside resolve() any more.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolves `host` (case-insensitive; "[v6]" brackets allowed). Literal IPs and
  // "localhost" / "*.localhost" are answered at once without DNS. Otherwise answers
  // come from the cache, or from the query already in flight for the same name, or
  // from a new query; only the calling greenlet is suspended. `timeout` (default
  // Options::timeout) bounds this caller's wait: past it, errc::dns_timeout.
  // Failures: dns_not_found (NXDOMAIN, or no address of the wanted family),
  // dns_timeout, dns_failure (anything else). Kill and green::Timeout propagate as
  // usual and leave the resolver consistent; the abandoned query still completes and
  // fills the cache. Must not be called from a hub callback.
  ResolveResult resolve(const std::string& host, std::optional<double> timeout = {});

  // Lookups handed to c-ares so far (cache hits, coalesced callers and local
  // answers do not count). For tests.
  std::uint64_t queries_sent() const;
  // Names being looked up in c-ares right now, and callers suspended on them.
  std::size_t in_flight() const;
  std::size_t waiting() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gfetch::net
