// Client::fetch as straight-line code in the calling greenlet: validate the URL,
// then per hop resolve the host through net::Resolver, run one libcurl transfer on
// the hub and wait for it, and follow a redirect with CURLU. Timeouts of the whole
// fetch and stalls are this greenlet's own waits; libcurl only times connects.
#include "net/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include "green/hub.hpp"
#include "net/detail/curl_memory.hpp"
#include "net/detail/multi.hpp"
#include "net/detail/proxy.hpp"
#include "net/detail/transfer.hpp"
#include "net/detail/url_parse.hpp"
#include "net/error.hpp"
#include "net/url.hpp"

namespace gfetch::net {

using namespace std::literals;  // "GET"sv: compares without strlen

namespace detail {
namespace {

bool same_origin(const Url& a, const Url& b) noexcept {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

// Credentials stay with the origin they were meant for (curl does the same).
Headers without_credentials(const Headers& headers) {
  Headers kept;
  for (const Header& header : headers) {
    std::string name = header.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name != "authorization" && name != "cookie") kept.push_back(header);
  }
  return kept;
}

double seconds_between(curl_off_t from_us, curl_off_t to_us) noexcept {
  return to_us > from_us ? static_cast<double>(to_us - from_us) / 1e6 : 0.0;
}

std::string http_version_name(long version) {
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      return "1.0";
    case CURL_HTTP_VERSION_1_1:
      return "1.1";
    case CURL_HTTP_VERSION_2_0:
      return "2";
    case CURL_HTTP_VERSION_3:
      return "3";
    default:
      return "";
  }
}

// The addresses a request's "host:port:addr,..." override gives `host`:`port`, or
// empty when none matches. `host` is a Url::host; the entry's host is compared in
// that spelling (case-insensitively; an IDN as punycode, whichever way written).
std::string override_for(const std::vector<std::string>& overrides, const std::string& host,
                         int port) {
  const std::string port_text = std::to_string(port);
  for (const std::string& entry : overrides) {
    std::size_t first = entry.find(':');
    std::size_t second = first == std::string::npos ? first : entry.find(':', first + 1);
    if (second == std::string::npos) continue;
    if (entry.compare(first + 1, second - first - 1, port_text) != 0) continue;
    const std::string_view name = std::string_view(entry).substr(0, first);
    const bool international = std::any_of(
        name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (international ? ascii_host(name) == host : header_name_equals(name, host)) {
      return entry.substr(second + 1);
    }
  }
  return {};
}

// A proxy URL fit for a message: without its user name and password.
std::string shown_proxy(std::string_view proxy) {
  const std::size_t scheme_end = proxy.find("://");
  const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const std::size_t at = proxy.find('@', start);
  if (at == std::string_view::npos || proxy.find('/', start) < at) return std::string(proxy);
  return std::string(proxy.substr(0, start)).append(proxy.substr(at + 1));
}

void fail(Response& response, std::error_code error, std::string message = {}) {
  response.error = error;
  response.error_message = message.empty() ? error.message() : std::move(message);
}

}  // namespace

// The client's state, shared by every fetch in flight so that destroying the
// Client while greenlets are still inside fetch() leaves them a live object.
class ClientCore {
 public:
  ClientCore(green::Hub& hub, Resolver* shared, Client::Options options)
      : hub_(&hub),
        options_(std::move(options)),
        owned_resolver_(shared ? nullptr : std::make_unique<Resolver>(hub, options_.resolver)),
        resolver_(shared ? shared : owned_resolver_.get()),
        proxies_(ProxyConfig::load(options_.proxy, options_.no_proxy)),
        share_(make_share()) {
    multis_.push_back(std::make_unique<Multi>(*hub_, limits(), share_.get()));
  }

  // Fills `response` (the caller's return value: no Response is moved per fetch).
  void fetch(const Request& request, std::string_view url, const UrlLayout* layout,
             Response& response);
  // Ends every fetch in flight with errc::cancelled (from ~Client).
  void close() noexcept;
  Client::Stats stats() const noexcept { return stats_; }
  void stop_reusing_connections() noexcept { stop_requested_ = true; }

 private:
  // The state of one fetch that its hops share.
  struct Fetch {
    const Request* request;
    Url url;
    std::string location;  // the last hop's Location header
    std::string method;
    bool send_body;
    Headers stripped_headers;  // the request's, minus credentials after a cross-origin hop
    bool strip_credentials = false;
    std::optional<double> deadline;
    BodyWriter writer;
    Response& response;  // the caller's
  };

  // libcurl before 8.0.0 breaks a reused h2c prior-knowledge connection (curl
  // issue 10634: it stacks a second HTTP/2 layer on it). Transfers that would reuse
  // one ask for CURL_HTTP_VERSION_2_0 instead, which reuses it correctly; only a
  // transfer that opens the connection asks for prior knowledge.
  struct H2cOrigin {
    int opening = 0;  // transfers in flight that open a connection to it
    curl_socket_t socket = CURL_SOCKET_BAD;
    std::uint64_t serial = 0;  // Multi::socket_serial of that connection (multis_[0])
  };

  struct ShareDeleter {
    void operator()(CURLSH* share) const noexcept { curl_share_cleanup(share); }
  };
  // TLS sessions are shared by every handle: a new connection to a host resumes
  // the session another transfer made, and no handle keeps its own session table.
  static std::unique_ptr<CURLSH, ShareDeleter> make_share() {
    ensure_curl_initialised();  // libcurl allocates the share: its allocator first
    std::unique_ptr<CURLSH, ShareDeleter> share(curl_share_init());
    if (share) curl_share_setopt(share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return share;
  }
  Multi::Limits limits() const noexcept {
    return {static_cast<long>(options_.max_connections),
            static_cast<long>(options_.max_connections_per_host),
            static_cast<long>(options_.max_idle_connections)};
  }
  Multi& multi_for(bool http2_possible);

  // Parses the URL into `fetch`; false (the response says why) if it is invalid.
  bool start(Fetch& fetch, std::string_view url_text, const UrlLayout* layout);
  void run_hop(Fetch& fetch);
  void transfer(Fetch& fetch, const std::string& proxy, curl_slist* entries,
                PendingConnect& pending);
  // The origin whose h2c connection this hop opens, or null (none, or reused).
  H2cOrigin* plan_h2c(const Fetch& fetch, const std::string& proxy, Hop& hop);
  // The kept "User-Agent: <agent>" list (agent_lists_), or null when the client
  // keeps no more: the caller builds one for the request.
  curl_slist* agent_list(const std::string& agent);
  std::error_code resolve_into(const std::string& host, int port, Fetch& fetch, Slist& entries);
  std::error_code wait(Transfer& transfer, const Fetch& fetch);
  void record(Fetch& fetch, Transfer& transfer, CURL* easy);
  bool follow_redirect(Fetch& fetch);
  void link(Transfer& transfer) noexcept;
  void unlink(Transfer& transfer) noexcept;

  green::Hub* hub_;
  Client::Options options_;
  std::unique_ptr<Resolver> owned_resolver_;
  Resolver* resolver_;
  ProxyConfig proxies_;
  std::unique_ptr<CURLSH, ShareDeleter> share_;  // outlives the multis' handles
  // A header list of just "User-Agent: <agent>" per agent seen (a few at most):
  // most requests have no other header and need no list of their own. Kept for
  // the client's life: libcurl reads a list during any transfer given it.
  static constexpr std::size_t kMaxAgentLists = 8;
  std::unordered_map<std::string, Slist> agent_lists_;
  std::vector<std::unique_ptr<Multi>> multis_;  // see multi_for
  Transfer* in_flight_ = nullptr;               // transfers added to a multi, for close()
  bool h2c_workaround_ = curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
  std::unordered_map<std::string, H2cOrigin> h2c_;  // by "host:port"
  // Applies a stop_reusing_connections() request once no hop is still looking for
  // a connection (one may be about to reuse an idle one): checked as transfers end.
  void stop_reusing_if_settled() noexcept {
    if (!stop_requested_ || !reuse_connections_ || connecting_ > 0) return;
    reuse_connections_ = false;
    for (const std::unique_ptr<Multi>& multi : multis_) multi->stop_caching_connections();
  }

  bool closed_ = false;
  bool stop_requested_ = false;    // see Client::stop_reusing_connections
  bool reuse_connections_ = true;  // false once that request is applied
  std::size_t connecting_ = 0;     // hops between their start and a ready connection
  Client::Stats stats_;
};

void ClientCore::fetch(const Request& request, std::string_view url_text, const UrlLayout* layout,
                       Response& response) {
  hub_->update_now();
  const double started = hub_->now();
  ++stats_.in_flight;
  // The fetch's state lives on the heap: every fetch greenlet waits with this frame
  // on its stack, and a page more per fetch in flight is 20 MiB at 5,000.
  std::unique_ptr<Fetch> owned(new Fetch{
      &request, {}, {}, request.method, false, {}, false, {}, BodyWriter(request.sink), response});
  Fetch& fetch = *owned;
  if (request.timeouts.total) fetch.deadline = started + *request.timeouts.total;
  if (start(fetch, url_text, layout)) {
    try {
      do {
        run_hop(fetch);
      } while (!fetch.response.error && follow_redirect(fetch));
    } catch (...) {
      --stats_.in_flight;  // killed or timed out: the guards have removed the transfer
      throw;
    }
    if (!fetch.response.error) {
      if (std::error_code error = fetch.writer.close()) {
        fail(fetch.response, error, "cannot write " + request.sink.path);
      }
    }
    fetch.response.url = std::move(fetch.url.href);  // the last hop's
  }
  if (fetch.request->sink.kind == BodySink::Kind::memory) {
    fetch.response.body = fetch.writer.take_memory();
  }
  hub_->update_now();
  fetch.response.timings.total = hub_->now() - started;
  --stats_.in_flight;
  ++stats_.fetches;
}

bool ClientCore::start(Fetch& fetch, std::string_view url_text, const UrlLayout* layout) {
  if (layout) {
    assert(scan_url_layout(url_text) == *layout && "a layout of another URL");
    parse_url_into(url_text, *layout, fetch.url);
  } else {
    std::string why;
    std::optional<Url> url = parse_url(url_text, &why);
    if (!url) {
      fail(fetch.response, errc::invalid_url,
           "invalid URL \"" + std::string(url_text) + "\": " + why);
      return false;
    }
    fetch.url = std::move(*url);
  }
  // fetch.url.href becomes response.url at the end
  fetch.send_body = !fetch.request->body.empty() || fetch.method == "POST"sv ||
                    fetch.method == "PUT"sv || fetch.method == "PATCH"sv;
  return true;
}

void ClientCore::run_hop(Fetch& fetch) {
  const Request& request = *fetch.request;
  Response& response = fetch.response;
  PendingConnect pending(connecting_);  // until the transfer's connection is ready
  if (closed_) return fail(response, errc::cancelled, "the client was closed");

  // DNS first, through the resolver; libcurl gets the answers as CURLOPT_RESOLVE.
  const std::string& proxy = proxies_.choose(fetch.url, request.proxy);
  Slist entries;
  std::optional<Url> proxy_url;
  if (!proxy.empty()) {
    proxy_url = parse_proxy_url(proxy);
    if (!proxy_url) {
      return fail(response, errc::invalid_url, "invalid proxy \"" + shown_proxy(proxy) + "\"");
    }
    if (std::error_code error = resolve_into(proxy_url->host, proxy_url->port, fetch, entries)) {
      return fail(response, error == errc::dns_not_found ? errc::connect_failed : error,
                  "cannot resolve proxy " + proxy_url->host + ": " + error.message());
    }
  }
  if (!proxy_url || !proxy_resolves_names(proxy_url->scheme)) {
    if (std::error_code error = resolve_into(fetch.url.host, fetch.url.port, fetch, entries)) {
      return fail(response, error, error.message() + ": " + fetch.url.host);
    }
  }
  if (fetch.deadline && hub_->now() >= *fetch.deadline) {
    return fail(response, errc::total_timeout);
  }
  if (closed_) return fail(response, errc::cancelled, "the client was closed");
  if (std::error_code error = fetch.writer.open()) {
    return fail(response, error, "cannot open " + request.sink.path + ": " + std::strerror(errno));
  }
  transfer(fetch, proxy, entries.get(), pending);
}

void ClientCore::transfer(Fetch& fetch, const std::string& proxy, curl_slist* entries,
                          PendingConnect& pending) {
  const Request& request = *fetch.request;
  Response& response = fetch.response;
  Transfer transfer(*hub_, fetch.writer);
  transfer.pending_connect = &pending;
  transfer.want_headers(request.keep_headers ? &*request.keep_headers : nullptr,
                        request.redirects.follow);
  transfer.body_limit = fetch.writer.limit(request.max_body_size.value_or(UINT64_MAX));
  transfer.header_limit = request.max_header_size;
  const std::vector<Header>& request_headers =
      fetch.strip_credentials ? fetch.stripped_headers : request.headers;
  const bool agent_removed =
      std::any_of(request.remove_headers.begin(), request.remove_headers.end(),
                  [](const std::string& name) { return header_name_equals(name, "user-agent"); });
  static const std::string kNoAgent;
  const std::string& user_agent = agent_removed        ? kNoAgent
                                  : request.user_agent ? *request.user_agent
                                                       : options_.user_agent;
  // The User-Agent goes out as a header-list entry, not as CURLOPT_USERAGENT:
  // libcurl 7.88 prints that option's header twice, a byte at a time (~100
  // instructions a byte, 5k per 1 KiB request: callgrind), a list entry once.
  // Through a proxy the option stays, so that a CONNECT carries it too. A
  // User-Agent among the request's headers replaces it, as with curl -H.
  const bool agent_in_list =
      proxy.empty() && !user_agent.empty() &&
      std::none_of(request_headers.begin(), request_headers.end(), [](const Header& header) {
        return header_name_equals(header.name, "user-agent");
      });
  Slist headers;
  curl_slist* header_list = nullptr;
  if (agent_in_list && request_headers.empty() && request.remove_headers.empty()) {
    header_list = agent_list(user_agent);
  }
  if (header_list == nullptr) {
    // libcurl's list syntax: "Name;" sends an empty header, "Name:" removes one.
    for (const Header& header : request_headers) {
      if (!append(headers,
                  header.value.empty() ? header.name + ";" : header.name + ": " + header.value)) {
        return fail(response, errc::other, "out of memory");
      }
    }
    for (const std::string& name : request.remove_headers) {
      if (!append(headers, name + ":")) return fail(response, errc::other, "out of memory");
    }
    if (agent_in_list && !append(headers, "User-Agent: " + user_agent)) {
      return fail(response, errc::other, "out of memory");
    }
    header_list = headers.get();
  }
  // parsed_url (third) is the leased handle's UrlParts, set once it is leased.
  Hop hop{&request,
          &fetch.url.href,
          nullptr,
          &fetch.method,
          fetch.send_body ? &request.body : nullptr,
          header_list,
          entries,
          &proxy,
          proxy.empty() || user_agent.empty() ? nullptr : &user_agent,
          &transfer};
  const bool http2_possible =
      request.http_version != HttpVersion::http1_1 &&
      (fetch.url.scheme == "https"sv || request.http_version == HttpVersion::http2 ||
       request.http_version == HttpVersion::http2_prior_knowledge);
  hop.pipewait = options_.multiplex && http2_possible;
  hop.buffer_size = receive_buffer_size(std::max(stats_.in_flight, options_.expected_in_flight));
  H2cOrigin* opens_h2c = plan_h2c(fetch, proxy, hop);
  struct Opening {  // counts the transfers opening an h2c connection to an origin
    H2cOrigin* origin;
    explicit Opening(H2cOrigin* o) : origin(o) {
      if (origin) ++origin->opening;
    }
    ~Opening() {
      if (origin) --origin->opening;
    }
  } opening(opens_h2c);

  Multi& multi = multi_for(http2_possible);
  hop.dns_cache_timeout = multi.dns_cache_timeout();
  transfer.want_active_socket = opens_h2c != nullptr;
  // Declared in this order so that unwinding (kill, green::Timeout) removes the
  // handle from the multi before the pool gets it back and before `transfer` dies.
  struct Lease {
    Multi& multi;
    std::unique_ptr<Easy> easy;
    bool dirty;
    bool may_keep_buffer = true;  // false once an HTTP/1 transfer has completed
    ~Lease() {
      if (easy) multi.release(std::move(easy), dirty, may_keep_buffer);
    }
  } lease{multi, multi.acquire(), !request.tls.ca_file.empty()};
  if (!lease.easy) return fail(response, errc::other, "curl_easy_init failed");
  CURL* easy = lease.easy->handle;
  hop.parsed_url = lease.easy->url.set(fetch.url);
  if (CURLcode code = configure_easy(*lease.easy, hop); code != CURLE_OK) {
    return fail(response, outcome_error(code, transfer, easy), curl_easy_strerror(code));
  }
  struct Attached {
    ClientCore& core;
    Multi& multi;
    Transfer& transfer;
    CURL* easy;
    ~Attached() {
      multi.remove(easy, transfer);
      core.unlink(transfer);
    }
  };
  if (CURLMcode code = multi.add(easy, transfer); code != CURLM_OK) {
    return fail(response, errc::other, curl_multi_strerror(code));
  }
  std::error_code waited;
  {
    link(transfer);
    Attached attached{*this, multi, transfer, easy};
    waited = wait(transfer, fetch);
    if (opens_h2c && transfer.done && transfer.result == CURLE_OK) {
      // The connection stays in libcurl's cache: later transfers ask to reuse it.
      opens_h2c->socket = transfer.active_socket;
      opens_h2c->serial = multi.socket_serial(transfer.active_socket);
    }
  }
  // libcurl 7.88 counts its retries (a reused connection found closed: at most 5)
  // per easy handle, and only curl_easy_reset sets the count back (upstream resets
  // it per request since 2025, curl PR 19066). A pooled handle that has retried
  // goes back reset, or after 5 retries over its life the next reused connection
  // that the server closed would fail the fetch.
  if (transfer.requests_sent > 1) lease.dirty = true;
  ++stats_.transfers;
  pending.settle();
  stop_reusing_if_settled();
  record(fetch, transfer, easy);
  lease.may_keep_buffer =
      transfer.result != CURLE_OK || !fetch.response.http_version.starts_with('1');
  if (waited) return fail(response, waited);
  if (std::error_code error = outcome_error(transfer.result, transfer, easy)) {
    std::string message = outcome_message(transfer, lease.easy->error, easy);
    // Through a proxy the only connection made is to the proxy: say so.
    if (transfer.result == CURLE_COULDNT_CONNECT && !proxy.empty()) {
      message = "cannot connect to proxy " + shown_proxy(proxy) + ": " + message;
    }
    fail(response, error, std::move(message));
  }
}

ClientCore::H2cOrigin* ClientCore::plan_h2c(const Fetch& fetch, const std::string& proxy,
                                            Hop& hop) {
  if (!h2c_workaround_ || fetch.request->http_version != HttpVersion::http2_prior_knowledge ||
      !proxy.empty() || fetch.url.scheme != "http"sv) {
    return nullptr;
  }
  H2cOrigin& origin = h2c_[fetch.url.host + ":" + std::to_string(fetch.url.port)];
  // A connection being opened (PIPEWAIT makes this transfer wait for it) or one
  // still open: reuse it.
  hop.reuse_h2c =
      origin.opening > 0 ||
      (origin.serial != 0 && multis_.front()->socket_serial(origin.socket) == origin.serial);
  return hop.reuse_h2c ? nullptr : &origin;
}

// libcurl 7.88's connection cache scans a host's connections when a transfer
// starts and all of its connections when one ends: at 5,000 fetches in flight on
// one multi handle that is O(n^2), most of the CPU. Transfers go to the first multi
// with room, so the scans stay short and a finished transfer's connection is where
// the next one looks. The first 4 multis take 32 transfers each (at 100 in flight
// that saves 3% of a 1 KiB request's instructions against one multi: callgrind),
// the rest 128 each (a multi costs ~60 KiB and 2 fds, its wake-up socketpair). One
// multi only when connection limits are set (they are per multi) or HTTP/2 may
// multiplex (streams share a connection only within one multi).
Multi& ClientCore::multi_for(bool http2_possible) {
  constexpr std::size_t kSmallMultis = 4;
  constexpr std::size_t kSmallShare = 32;
  constexpr std::size_t kShare = 128;
  if (http2_possible || options_.max_connections != 0 || options_.max_connections_per_host != 0) {
    return *multis_.front();
  }
  for (std::size_t i = 0; i < multis_.size(); ++i) {
    if (multis_[i]->active() < (i < kSmallMultis ? kSmallShare : kShare)) return *multis_[i];
  }
  multis_.push_back(std::make_unique<Multi>(*hub_, limits(), share_.get()));
  if (!reuse_connections_) multis_.back()->stop_caching_connections();
  return *multis_.back();
}

curl_slist* ClientCore::agent_list(const std::string& agent) {
  if (auto found = agent_lists_.find(agent); found != agent_lists_.end()) {
    return found->second.get();
  }
  Slist list;
  if (agent_lists_.size() >= kMaxAgentLists || !append(list, "User-Agent: " + agent)) {
    return nullptr;  // the caller builds a list for this request
  }
  return agent_lists_.emplace(agent, std::move(list)).first->second.get();
}

std::error_code ClientCore::resolve_into(const std::string& host, int port, Fetch& fetch,
                                         Slist& entries) {
  if (is_ip_literal(host)) return {};
  std::string prefix = "+" + host + ":" + std::to_string(port) + ":";
  if (std::string given = override_for(fetch.request->resolve, host, port); !given.empty()) {
    return append(entries, prefix + given) ? std::error_code{} : errc::other;
  }
  std::optional<double> timeout = fetch.request->timeouts.dns;
  bool total_binds = false;
  if (fetch.deadline) {
    double left = std::max(0.0, *fetch.deadline - hub_->now());
    if (!timeout || left < *timeout) {
      timeout = left;
      total_binds = true;
    }
  }
  const double asked = hub_->now();
  ResolveResult result = resolver_->resolve(host, timeout);
  fetch.response.timings.dns += hub_->now() - asked;
  if (result.error) {
    return total_binds && result.error == errc::dns_timeout ? errc::total_timeout : result.error;
  }
  if (result.addresses.empty()) return errc::dns_not_found;
  // "+host:port:addr,[v6addr]": '+' leaves the entry prunable (DnsCachePruning);
  // every hop and fetch to the host replaces it with a fresh one anyway.
  std::string entry = std::move(prefix);
  for (std::size_t i = 0; i < result.addresses.size(); ++i) {
    const std::string& address = result.addresses[i];
    if (i > 0) entry += ',';
    entry += address.find(':') != std::string::npos ? "[" + address + "]" : address;
  }
  if (!append(entries, entry)) return errc::other;
  return {};
}

std::error_code ClientCore::wait(Transfer& transfer, const Fetch& fetch) {
  const std::optional<double> stall = fetch.request->timeouts.stall;
  while (!transfer.done) {
    const double now = hub_->now();
    std::optional<double> wake_at = fetch.deadline;
    if (stall) {
      // Silence counts once the connection is ready; until then the connect
      // timeout rules, and the stall clock is only looked at every period.
      double check = transfer.connected() ? transfer.last_activity + *stall : now + *stall;
      wake_at = wake_at ? std::min(*wake_at, check) : check;
    }
    transfer.waiter.reset();
    if (wake_at) {
      transfer.waiter.wait(std::max(0.0, *wake_at - now));
    } else {
      transfer.waiter.wait();
    }
    if (transfer.done) break;
    if (transfer.cancelled) return errc::cancelled;
    const double later = hub_->now();
    if (fetch.deadline && later >= *fetch.deadline) return errc::total_timeout;
    if (stall && transfer.connected() && later - transfer.last_activity >= *stall) {
      return errc::stall_timeout;
    }
  }
  return {};
}

void ClientCore::record(Fetch& fetch, Transfer& transfer, CURL* easy) {
  Response& response = fetch.response;
  long status = 0;
  long header_size = 0;
  curl_off_t downloaded = 0;
  long connects = 0;
  long version = 0;
  char* ip = nullptr;
  long port = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy, CURLINFO_HEADER_SIZE, &header_size);
  curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
  curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip);
  curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &port);
  response.status = status != 0 ? static_cast<int>(status) : transfer.status;
  response.headers = std::move(transfer.headers);
  fetch.location = std::move(transfer.location);
  response.bytes_received = transfer.body_bytes;
  response.bytes_on_wire += static_cast<std::uint64_t>(header_size) +
                            static_cast<std::uint64_t>(std::max<curl_off_t>(downloaded, 0));
  response.http_version = http_version_name(version);
  response.remote_ip = ip != nullptr ? ip : "";
  response.remote_port = static_cast<int>(port);
  stats_.connections_opened += static_cast<std::uint64_t>(connects);

  curl_off_t lookup = 0, connect = 0, tls = 0, ready = 0, first_byte = 0;
  curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect);
  curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &tls);
  curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &ready);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &first_byte);
  response.timings.connect = seconds_between(lookup, connect);
  response.timings.tls = tls > 0 ? seconds_between(connect, tls) : 0.0;
  response.timings.first_byte = seconds_between(ready, first_byte);
}

bool ClientCore::follow_redirect(Fetch& fetch) {
  const Request& request = *fetch.request;
  Response& response = fetch.response;
  const int status = response.status;
  if (!request.redirects.follow) return false;
  if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
    return false;
  }
  if (fetch.location.empty()) return false;
  const std::string* location = &fetch.location;
  if (response.redirects >= request.redirects.max_hops) {
    fail(response, errc::too_many_redirects,
         "more than " + std::to_string(request.redirects.max_hops) + " redirects");
    return false;
  }
  std::string why;
  std::optional<Url> next = resolve_url(fetch.url.href, *location, &why);
  if (!next) {
    fail(response, errc::invalid_url, "bad redirect to \"" + *location + "\": " + why);
    return false;
  }
  // What curl does: 303 turns anything but HEAD into GET; 301/302 turn POST into GET.
  if ((status == 303 && fetch.method != "HEAD"sv) ||
      ((status == 301 || status == 302) && fetch.method == "POST"sv)) {
    fetch.method = "GET";
    fetch.send_body = false;
  }
  if (!fetch.strip_credentials && !same_origin(fetch.url, *next)) {
    fetch.stripped_headers = without_credentials(request.headers);
    fetch.strip_credentials = true;
  }
  fetch.url = std::move(*next);
  ++response.redirects;
  return true;
}

void ClientCore::link(Transfer& transfer) noexcept {
  transfer.next = in_flight_;
  if (in_flight_ != nullptr) in_flight_->prev = &transfer;
  in_flight_ = &transfer;
}

void ClientCore::unlink(Transfer& transfer) noexcept {
  if (transfer.prev != nullptr) transfer.prev->next = transfer.next;
  if (transfer.next != nullptr) transfer.next->prev = transfer.prev;
  if (in_flight_ == &transfer) in_flight_ = transfer.next;
  transfer.prev = transfer.next = nullptr;
}

void ClientCore::close() noexcept {
  closed_ = true;
  for (Transfer* transfer = in_flight_; transfer != nullptr; transfer = transfer->next) {
    transfer->cancelled = true;
    transfer->waiter.wake();
  }
}

}  // namespace detail

Client::Client(green::Hub& hub, Options options) {
  detail::ensure_curl_initialised();
  core_ = std::make_shared<detail::ClientCore>(hub, nullptr, std::move(options));
}

Client::Client(green::Hub& hub, Resolver& resolver, Options options) {
  detail::ensure_curl_initialised();
  core_ = std::make_shared<detail::ClientCore>(hub, &resolver, std::move(options));
}

Client::~Client() {
  core_->close();
}

Response Client::fetch(const Request& request) {
  return fetch(request, request.url);
}

Response Client::fetch(const Request& request, std::string_view url, const UrlLayout* layout) {
  std::shared_ptr<detail::ClientCore> core = core_;  // lives until this fetch returns
  Response response;
  core->fetch(request, url, layout, response);
  return response;
}

void Client::stop_reusing_connections() {
  core_->stop_reusing_connections();
}

Client::Stats Client::stats() const noexcept {
  return core_->stats();
}

}  // namespace gfetch::net
