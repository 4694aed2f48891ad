// Resolver over one c-ares channel on the hub. c-ares reports the sockets it wants
// watched (sock_state_cb -> one green::IoWatcher per socket) and its next deadline
// (ares_timeout -> one green::Timer); both call ares_process_fd on the hub. The
// c-ares callbacks only record the answer, fill the cache and wake the waiters.
#include "net/resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "green/greenlet.hpp"
#include "green/hub.hpp"
#include "green/io.hpp"
#include "green/timer.hpp"
#include "green/waiter.hpp"
#include "net/error.hpp"

namespace gfetch::net {
namespace {

struct AddrinfoDeleter {
  void operator()(ares_addrinfo* info) const noexcept { ares_freeaddrinfo(info); }
};
using AddrinfoPtr = std::unique_ptr<ares_addrinfo, AddrinfoDeleter>;

std::string lowercase(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_localhost(const std::string& name) {
  std::string_view view = name;
  if (view.ends_with('.')) view.remove_suffix(1);
  return view == "localhost" || view.ends_with(".localhost");
}

bool wants(int family, int address_family) {
  return family == AF_UNSPEC || family == address_family;
}

std::string address_text(const sockaddr* addr) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &v4->sin_addr, buffer, sizeof buffer);
  } else if (addr->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, buffer, sizeof buffer);
  }
  return buffer;
}

ResolveResult failure(errc error) {
  ResolveResult result;
  result.error = error;
  return result;
}

std::error_code error_of(int status) {
  switch (status) {
    case ARES_SUCCESS:
      return {};
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
      return errc::dns_not_found;
    case ARES_ETIMEOUT:
      return errc::dns_timeout;
    default:
      return errc::dns_failure;
  }
}

// Per-try timeout for c-ares so that all its tries together take about `total`:
// c-ares 1.18 asks each server once per round and doubles the timeout each round.
int per_try_ms(double total, int tries, std::size_t servers) {
  double rounds = std::ldexp(1.0, std::min(tries, 10)) - 1;
  double ms = total * 1000 / (rounds * static_cast<double>(std::max<std::size_t>(servers, 1)));
  return static_cast<int>(std::clamp(ms, 1.0, 3.6e6));
}

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    int status = ares_library_init(ARES_LIB_INIT_ALL);
    if (status != ARES_SUCCESS) {
      throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
    }
  });
}

}  // namespace

class Resolver::Impl {
 public:
  Impl(green::Hub& hub, Options options);
  ~Impl();

  ResolveResult resolve(const std::string& host, std::optional<double> timeout);
  std::uint64_t queries_sent() const noexcept { return queries_sent_; }
  std::size_t in_flight() const noexcept { return pending_.size(); }
  std::size_t waiting() const noexcept;

 private:
  // One name in flight in c-ares. Owned by pending_ until c-ares answers, and by
  // every waiting caller; after the answer, callers touch only this, so a caller
  // woken late never needs the Impl.
  struct Lookup {
    Impl* owner = nullptr;
    std::string name;
    bool done = false;
    ResolveResult result;
    std::vector<green::Waiter*> waiters;
  };
  struct CacheEntry {
    std::error_code error;
    std::vector<std::string> addresses;
    double expires = 0;  // hub clock
  };

  std::optional<ResolveResult> answer_locally(const std::string& name) const;
  std::optional<ResolveResult> from_cache(const std::string& name);
  std::shared_ptr<Lookup> start_lookup(const std::string& name);
  ResolveResult make_result(int status, const ares_addrinfo* info) const;
  void store(const std::string& name, const ResolveResult& result);
  void finish(Lookup& lookup, int status, const ares_addrinfo* info) noexcept;
  // Lets c-ares handle ready sockets and expired deadlines, then re-arms the timer.
  // Called on the hub by the watchers and the timer; out of memory terminates.
  void process(ares_socket_t read_fd, ares_socket_t write_fd) noexcept;
  void rearm_timer();

  // c-ares trampolines: run on the hub (or inside ares_getaddrinfo on the caller's
  // stack); they never switch and never throw.
  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) noexcept;
  static void on_addrinfo(void* arg, int status, int timeouts, ares_addrinfo* info) noexcept;

  green::Hub& hub_;
  Options options_;
  ares_channel channel_ = nullptr;
  green::Timer timer_;
  std::unordered_map<int, std::unique_ptr<green::IoWatcher>> watchers_;
  // Watchers c-ares let go of while one of them may be dispatching; freed at the
  // next entry into the resolver, when none of them is on the stack.
  std::vector<std::unique_ptr<green::IoWatcher>> retired_;
  std::unordered_map<std::string, std::shared_ptr<Lookup>> pending_;
  std::unordered_map<std::string, CacheEntry> cache_;
  std::size_t sweep_at_ = 1024;  // cache size that triggers dropping expired entries
  std::uint64_t queries_sent_ = 0;
  bool destroying_ = false;
};

Resolver::Impl::Impl(green::Hub& hub, Options options)
    : hub_(hub),
      options_(std::move(options)),
      timer_(hub, [this] { process(ARES_SOCKET_BAD, ARES_SOCKET_BAD); }) {
  if (options_.family != AF_UNSPEC && options_.family != AF_INET && options_.family != AF_INET6) {
    throw std::invalid_argument("resolver: family must be AF_UNSPEC, AF_INET or AF_INET6");
  }
  if (options_.tries < 1) throw std::invalid_argument("resolver: tries must be at least 1");
  if (!(options_.timeout > 0)) throw std::invalid_argument("resolver: timeout must be positive");
  init_library_once();

  std::string lookups = options_.use_hosts_file ? "fb" : "b";
  ares_options ares{};
  ares.sock_state_cb = &Impl::on_sock_state;
  ares.sock_state_cb_data = this;
  ares.timeout = per_try_ms(options_.timeout, options_.tries, options_.servers.size());
  ares.tries = options_.tries;
  ares.lookups = lookups.data();
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  int status = ares_init_options(&channel_, &ares, mask);
  if (status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("resolver: c-ares init: ") + ares_strerror(status));
  }
  if (!options_.servers.empty()) {
    std::string csv;
    for (const std::string& server : options_.servers) {
      if (!csv.empty()) csv += ',';
      csv += server;
    }
    status = ares_set_servers_ports_csv(channel_, csv.c_str());
    if (status != ARES_SUCCESS) {
      ares_destroy(channel_);
      throw std::invalid_argument("resolver: bad server list '" + csv +
                                  "': " + ares_strerror(status));
    }
  }
}

Resolver::Impl::~Impl() {
  // ares_destroy fails every pending lookup (ARES_EDESTRUCTION) and reports its
  // sockets closed, so the watchers must outlive it.
  destroying_ = true;
  ares_destroy(channel_);
  watchers_.clear();
  retired_.clear();
}

ResolveResult Resolver::Impl::resolve(const std::string& host, std::optional<double> timeout) {
  retired_.clear();
  std::string name = lowercase(host);
  if (std::optional<ResolveResult> local = answer_locally(name)) return *local;
  if (std::optional<ResolveResult> cached = from_cache(name)) return *cached;

  std::shared_ptr<Lookup> lookup;
  if (auto it = pending_.find(name); it != pending_.end()) {
    lookup = it->second;
  } else {
    lookup = start_lookup(name);
  }
  if (lookup->done) return lookup->result;  // c-ares answered synchronously (hosts file)

  green::Waiter waiter;
  lookup->waiters.push_back(&waiter);
  // Leaves the lookup consistent however the wait ends: answer, timeout, kill, Timeout.
  struct Unregister {
    Lookup& lookup;
    green::Waiter* waiter;
    ~Unregister() { std::erase(lookup.waiters, waiter); }
  } unregister{*lookup, &waiter};
  if (!waiter.wait(timeout.value_or(options_.timeout))) {
    return failure(errc::dns_timeout);
  }
  return lookup->result;
}

std::optional<ResolveResult> Resolver::Impl::answer_locally(const std::string& name) const {
  std::string bare = name;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  ResolveResult result;
  result.ttl = options_.max_ttl;
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, bare.c_str(), &v4) == 1) {
    if (wants(options_.family, AF_INET)) result.addresses.push_back(bare);
  } else if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &v6, text, sizeof text);
    if (wants(options_.family, AF_INET6)) result.addresses.emplace_back(text);
  } else if (is_localhost(name)) {
    if (wants(options_.family, AF_INET)) result.addresses.emplace_back("127.0.0.1");
    if (wants(options_.family, AF_INET6)) result.addresses.emplace_back("::1");
  } else if (!name.empty()) {
    return std::nullopt;
  }
  if (result.addresses.empty()) result = failure(errc::dns_not_found);
  return result;
}

std::optional<ResolveResult> Resolver::Impl::from_cache(const std::string& name) {
  auto it = cache_.find(name);
  if (it == cache_.end()) return std::nullopt;
  double left = it->second.expires - hub_.now();
  if (left <= 0) {
    cache_.erase(it);
    return std::nullopt;
  }
  ResolveResult result;
  result.error = it->second.error;
  result.addresses = it->second.addresses;
  result.ttl = left;
  result.from_cache = true;
  return result;
}

std::shared_ptr<Resolver::Impl::Lookup> Resolver::Impl::start_lookup(const std::string& name) {
  auto lookup = std::make_shared<Lookup>();
  lookup->owner = this;
  lookup->name = name;
  pending_.emplace(name, lookup);
  ++queries_sent_;
  ares_addrinfo_hints hints{};
  hints.ai_family = options_.family;
  hints.ai_flags = ARES_AI_NOSORT;  // we order the families ourselves; no probing
  ares_getaddrinfo(channel_, name.c_str(), nullptr, &hints, &Impl::on_addrinfo, lookup.get());
  rearm_timer();
  return lookup;
}

ResolveResult Resolver::Impl::make_result(int status, const ares_addrinfo* info) const {
  ResolveResult result;
  result.error = error_of(status);
  if (status == ARES_SUCCESS && info != nullptr) {
    double ttl = options_.max_ttl;
    std::vector<std::string> v6;
    for (const ares_addrinfo_node* node = info->nodes; node != nullptr; node = node->ai_next) {
      if (!wants(options_.family, node->ai_family)) continue;
      std::string text = address_text(node->ai_addr);
      std::vector<std::string>& bucket = node->ai_family == AF_INET ? result.addresses : v6;
      if (text.empty() || std::find(bucket.begin(), bucket.end(), text) != bucket.end()) continue;
      bucket.push_back(std::move(text));
      ttl = std::min(ttl, static_cast<double>(std::max(node->ai_ttl, 0)));
    }
    for (const ares_addrinfo_cname* cname = info->cnames; cname != nullptr; cname = cname->next) {
      ttl = std::min(ttl, static_cast<double>(std::max(cname->ttl, 0)));
    }
    result.addresses.insert(result.addresses.end(), v6.begin(), v6.end());
    result.ttl = ttl;
  }
  if (!result.error && result.addresses.empty()) result.error = errc::dns_not_found;
  if (result.error == errc::dns_not_found) {
    result.ttl = std::min(options_.negative_ttl, options_.max_ttl);
  } else if (result.error) {
    result.ttl = 0;
  }
  return result;
}

void Resolver::Impl::store(const std::string& name, const ResolveResult& result) {
  if (result.ttl <= 0) return;
  if (cache_.size() >= sweep_at_) {
    std::erase_if(cache_,
                  [now = hub_.now()](const auto& entry) { return entry.second.expires <= now; });
    sweep_at_ = std::max<std::size_t>(1024, cache_.size() * 2);
  }
  cache_[name] = CacheEntry{result.error, result.addresses, hub_.now() + result.ttl};
}

void Resolver::Impl::finish(Lookup& lookup, int status, const ares_addrinfo* info) noexcept {
  // Keeps the lookup alive through the wake-ups even if pending_ held the last owner.
  std::shared_ptr<Lookup> keep;
  if (auto it = pending_.find(lookup.name); it != pending_.end() && it->second.get() == &lookup) {
    keep = std::move(it->second);
    pending_.erase(it);
  }
  try {
    lookup.result = make_result(status, info);
    if (!destroying_) store(lookup.name, lookup.result);
  } catch (...) {  // out of memory: report a failure rather than unwind into c-ares
    lookup.result = failure(errc::dns_failure);
  }
  lookup.done = true;
  for (green::Waiter* waiter : lookup.waiters) waiter->wake();
}

std::size_t Resolver::Impl::waiting() const noexcept {
  std::size_t count = 0;
  for (const auto& [name, lookup] : pending_) count += lookup->waiters.size();
  return count;
}

void Resolver::Impl::process(ares_socket_t read_fd, ares_socket_t write_fd) noexcept {
  retired_.clear();
  ares_process_fd(channel_, read_fd, write_fd);
  rearm_timer();
}

void Resolver::Impl::rearm_timer() {
  timeval next{};
  if (ares_timeout(channel_, nullptr, &next) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.start(static_cast<double>(next.tv_sec) + static_cast<double>(next.tv_usec) * 1e-6);
}

void Resolver::Impl::on_sock_state(void* data, ares_socket_t fd, int readable,
                                   int writable) noexcept {
  auto& self = *static_cast<Impl*>(data);
  int events = (readable ? green::IoWatcher::kRead : 0) | (writable ? green::IoWatcher::kWrite : 0);
  auto it = self.watchers_.find(fd);
  if (events == 0) {
    if (it == self.watchers_.end()) return;
    it->second->stop();
    if (!self.destroying_) self.retired_.push_back(std::move(it->second));
    self.watchers_.erase(it);
    return;
  }
  if (it == self.watchers_.end()) {
    auto on_ready = [&self, fd](int ready) {
      self.process(ready & green::IoWatcher::kRead ? fd : ARES_SOCKET_BAD,
                   ready & green::IoWatcher::kWrite ? fd : ARES_SOCKET_BAD);
    };
    it = self.watchers_.emplace(fd, std::make_unique<green::IoWatcher>(self.hub_, fd, on_ready))
             .first;
  }
  it->second->start(events);
}

void Resolver::Impl::on_addrinfo(void* arg, int status, int, ares_addrinfo* info) noexcept {
  AddrinfoPtr owned(info);
  auto& lookup = *static_cast<Lookup*>(arg);
  lookup.owner->finish(lookup, status, owned.get());
}

Resolver::Resolver(green::Hub& hub) : Resolver(hub, Options{}) {}

Resolver::Resolver(green::Hub& hub, Options options)
    : impl_(std::make_unique<Impl>(hub, std::move(options))) {}

Resolver::~Resolver() = default;

ResolveResult Resolver::resolve(const std::string& host, std::optional<double> timeout) {
  return impl_->resolve(host, timeout);
}

std::uint64_t Resolver::queries_sent() const {
  return impl_->queries_sent();
}

std::size_t Resolver::in_flight() const {
  return impl_->in_flight();
}

std::size_t Resolver::waiting() const {
  return impl_->waiting();
}

}  // namespace gfetch::net
