// net::Client: HTTP(S) on the hub. libcurl multi handles (one, or several when many
// fetches run at once: see ClientCore::multi_for) driven by hub fd watchers and hub
// timers; fetch() suspends only the calling greenlet.
// DNS goes through net::Resolver (libcurl's resolver is never used) and redirects
// are followed here, each hop resolved again. Per-URL failures are Response values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/request.hpp"
#include "net/resolver.hpp"
#include "net/response.hpp"
#include "net/url.hpp"

namespace green {
class Hub;
}

namespace gfetch::net {

namespace detail {
class ClientCore;
}

// Lives on one hub's thread and must be destroyed before that hub.
class Client {
 public:
  struct Options {
    // Connection limits; 0 = unlimited. Transfers beyond them queue inside libcurl.
    std::size_t max_connections = 0;           // open at once, all hosts
    std::size_t max_connections_per_host = 0;  // open at once to one host:port
    // Idle connections kept for reuse; 0 = at least the peak number of fetches in
    // flight (a smaller cache closes connections that the next fetch would reuse).
    std::size_t max_idle_connections = 0;
    // HTTP/2: wait for a connection that may multiplex instead of opening another.
    bool multiplex = true;
    // Fetches expected in flight at once (a pool's size), if known: receive buffers
    // are sized for it from the start rather than for the fetches started so far.
    std::size_t expected_in_flight = 0;
    std::string user_agent = "gfetch/0.1";
    // Default proxy of requests that set none. Unset: read once, at construction,
    // from http_proxy / https_proxy / all_proxy / no_proxy (and upper case).
    std::optional<std::string> proxy;
    std::optional<std::string> no_proxy;
    // For the resolver a client creates itself (first constructor).
    Resolver::Options resolver;
  };

  struct Stats {
    std::uint64_t fetches = 0;             // fetch() calls that returned
    std::uint64_t transfers = 0;           // HTTP exchanges (one per hop)
    std::uint64_t connections_opened = 0;  // new connections (the rest were reused)
    std::size_t in_flight = 0;             // fetches inside fetch() now
  };

  // A client with its own resolver (options.resolver).
  Client(green::Hub& hub, Options options);
  // A client sharing `resolver`, which must outlive it and its fetches.
  Client(green::Hub& hub, Resolver& resolver, Options options);
  Client(green::Hub& hub, Resolver& resolver) : Client(hub, resolver, Options{}) {}
  explicit Client(green::Hub& hub) : Client(hub, Options{}) {}
  // Fetches still in flight end with errc::cancelled; the client's connections
  // close once the last of them has returned.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request, following redirects per its policy. Suspends only the
  // calling greenlet (never call it from a hub callback). Failures are values in
  // Response::error; a kill or green::Timeout propagates as usual and cancels the
  // transfer cleanly (the handle is removed, nothing calls back into it).
  Response fetch(const Request& request);
  // The same for `url`, with everything else from `request` (its url is not read):
  // one Request serves a whole list of URLs without a copy per URL. With `layout`
  // (scan_url_layout(url), found when the URL was read), the URL is not scanned
  // again.
  Response fetch(const Request& request, std::string_view url, const UrlLayout* layout = nullptr);

  // Stop keeping idle connections for reuse: once no fetch in flight is still
  // looking for a connection (checked as transfers end), each connection closes as
  // its transfer ends, but one per libcurl multi handle (its smallest cache). For a
  // caller that starts no more fetches (the CLI at the end of its input): thousands
  // of connections then close while their last responses trickle in, not all at
  // once when the client is destroyed. A later redirect or retry may connect again.
  void stop_reusing_connections();

  Stats stats() const noexcept;

 private:
  std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace gfetch::net
