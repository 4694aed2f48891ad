// net::Resolver against a real dnsmasq (tests/support/dns_server): both families,
// NXDOMAIN and other failures, timeouts measured on the hub clock, the TTL cache and
// negative caching, coalescing, local answers, /etc/hosts, and kill / green::Timeout
// while a lookup is in flight.
#include <netinet/in.h>
#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "green/green.hpp"
#include "net/error.hpp"
#include "net/resolver.hpp"
#include "support/dns_server.hpp"

using gfetch::net::errc;
using gfetch::net::Resolver;
using gfetch::net::ResolveResult;
using Addresses = std::vector<std::string>;

namespace {

// A resolver that asks only `server` and ignores /etc/hosts.
Resolver::Options only(const std::string& server) {
  Resolver::Options options;
  options.servers = {server};
  options.use_hosts_file = false;
  return options;
}

// Seconds on the hub clock that `fn` takes.
template <class Fn>
double timed(green::Hub& hub, Fn&& fn) {
  hub.update_now();
  double start = hub.now();
  fn();
  hub.update_now();
  return hub.now() - start;
}

// The first name of /etc/hosts that DNS cannot know (not localhost, not under .test),
// with its address; nullopt if there is none.
std::optional<std::pair<std::string, std::string>> name_only_in_hosts_file() {
  std::ifstream hosts("/etc/hosts");
  std::string line;
  while (std::getline(hosts, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string address;
    std::string name;
    if (!(fields >> address)) continue;
    while (fields >> name) {
      bool local = name == "localhost" || name.ends_with(".localhost") ||
                   name.starts_with("localhost.") || name.starts_with("ip6-");
      if (!local && !name.ends_with(".test")) return std::make_pair(name, address);
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("IPv4, IPv6 and dual-stack names resolve", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  ResolveResult a = resolver.resolve("a.test");
  CHECK_FALSE(a.error);
  CHECK(a.addresses == Addresses{"127.0.0.1"});
  CHECK(a.ttl == Approx(60));
  CHECK_FALSE(a.from_cache);
  CHECK(resolver.resolve("v6.test").addresses == Addresses{"::1"});
  CHECK(resolver.resolve("both.test").addresses == Addresses{"127.0.0.1", "::1"});
  CHECK(resolver.resolve("Host.Wild.TEST").addresses == Addresses{"127.0.0.2"});
  CHECK(resolver.queries_sent() == 4);
}

TEST_CASE("the family option filters addresses", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver::Options v4_options = only(dns.server());
  v4_options.family = AF_INET;
  Resolver v4(hub, v4_options);
  Resolver::Options v6_options = only(dns.server());
  v6_options.family = AF_INET6;
  Resolver v6(hub, v6_options);

  CHECK(v4.resolve("both.test").addresses == Addresses{"127.0.0.1"});
  CHECK(v4.resolve("v6.test").error == errc::dns_not_found);
  CHECK(v6.resolve("both.test").addresses == Addresses{"::1"});
  CHECK(v6.resolve("a.test").error == errc::dns_not_found);
}

TEST_CASE("NXDOMAIN is dns_not_found and a refusal is dns_failure", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  for (const char* name : {"nx.test", "deep.nx.test", "unknown.test"}) {
    ResolveResult result = resolver.resolve(name);
    INFO(name);
    CHECK(result.error == errc::dns_not_found);
    CHECK(result.addresses.empty());
  }
  CHECK(resolver.resolve("example.com").error == errc::dns_failure);  // dnsmasq: REFUSED
}

TEST_CASE("a server that never answers times out within the per-lookup timeout", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.blackhole_server()));

  ResolveResult result;
  double elapsed = timed(hub, [&] { result = resolver.resolve("a.test", 0.3); });
  CHECK(result.error == errc::dns_timeout);
  CHECK(elapsed >= 0.3 - 1e-6);
  CHECK(elapsed < 0.8);
  // The resolver is destroyed with that query still in flight in c-ares.
}

TEST_CASE("c-ares giving up after Options::timeout is dns_timeout too", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver::Options options = only(dns.server());
  options.timeout = 0.4;
  options.tries = 1;
  Resolver resolver(hub, options);

  ResolveResult result;
  double elapsed = timed(hub, [&] { result = resolver.resolve("slow.test", 10.0); });
  CHECK(result.error == errc::dns_timeout);
  CHECK(elapsed >= 0.3);
  CHECK(elapsed < 2.0);
  // A timeout is not cached: asking again sends a new query.
  resolver.resolve("slow.test", 0.05);
  CHECK(resolver.queries_sent() == 2);
}

TEST_CASE("answers are cached until their TTL expires", "[resolver]") {
  testing::DnsServer dns(testing::DnsServer::Options{.ttl = 1});
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  ResolveResult first = resolver.resolve("both.test");
  CHECK(first.ttl == Approx(1));
  ResolveResult second = resolver.resolve("BOTH.test");
  CHECK(second.from_cache);
  CHECK(second.addresses == first.addresses);
  CHECK(second.ttl > 0);
  CHECK(second.ttl <= 1);
  CHECK(resolver.queries_sent() == 1);

  green::sleep(1.05);
  ResolveResult third = resolver.resolve("both.test");
  CHECK_FALSE(third.from_cache);
  CHECK(third.addresses == first.addresses);
  CHECK(resolver.queries_sent() == 2);
}

TEST_CASE("max_ttl caps how long an answer is cached", "[resolver]") {
  testing::DnsServer dns;  // TTL 60
  green::Hub hub;
  Resolver::Options options = only(dns.server());
  options.max_ttl = 0.2;
  Resolver resolver(hub, options);

  CHECK(resolver.resolve("a.test").ttl == Approx(0.2));
  CHECK(resolver.resolve("a.test").from_cache);
  green::sleep(0.25);
  CHECK_FALSE(resolver.resolve("a.test").from_cache);
  CHECK(resolver.queries_sent() == 2);
}

TEST_CASE("not-found answers are cached for negative_ttl, failures are not", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver::Options options = only(dns.server());
  options.negative_ttl = 0.3;
  Resolver resolver(hub, options);

  ResolveResult first = resolver.resolve("nx.test");
  CHECK(first.error == errc::dns_not_found);
  CHECK(first.ttl == Approx(0.3));
  ResolveResult second = resolver.resolve("nx.test");
  CHECK(second.error == errc::dns_not_found);
  CHECK(second.from_cache);
  CHECK(resolver.queries_sent() == 1);

  green::sleep(0.35);
  CHECK_FALSE(resolver.resolve("nx.test").from_cache);
  CHECK(resolver.queries_sent() == 2);

  CHECK(resolver.resolve("example.com").error == errc::dns_failure);
  CHECK(resolver.resolve("example.com").error == errc::dns_failure);
  CHECK(resolver.queries_sent() == 4);
}

TEST_CASE("100 greenlets resolving one name send one query", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  std::vector<green::Greenlet::Ptr> greenlets;
  std::vector<ResolveResult> results(100);
  for (ResolveResult& result : results) {
    greenlets.push_back(
        green::spawn([&resolver, &result] { result = resolver.resolve("both.test"); }));
  }
  green::joinall(greenlets);
  CHECK(resolver.queries_sent() == 1);
  for (const ResolveResult& result : results) {
    CHECK_FALSE(result.error);
    CHECK(result.addresses == Addresses{"127.0.0.1", "::1"});
    CHECK_FALSE(result.from_cache);
  }
}

TEST_CASE("literal addresses and localhost are answered without DNS", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  // Any query to this server would time out: local answers must not ask it.
  Resolver resolver(hub, only(dns.blackhole_server()));

  CHECK(resolver.resolve("127.0.0.1").addresses == Addresses{"127.0.0.1"});
  CHECK(resolver.resolve("10.1.2.3").addresses == Addresses{"10.1.2.3"});
  CHECK(resolver.resolve("::1").addresses == Addresses{"::1"});
  CHECK(resolver.resolve("[::1]").addresses == Addresses{"::1"});
  CHECK(resolver.resolve("0:0:0::1").addresses == Addresses{"::1"});
  for (const char* name : {"localhost", "LocalHost", "localhost.", "app.localhost"}) {
    INFO(name);
    ResolveResult result = resolver.resolve(name);
    CHECK_FALSE(result.error);
    CHECK(result.addresses == Addresses{"127.0.0.1", "::1"});
  }
  CHECK(resolver.resolve("").error == errc::dns_not_found);
  CHECK(resolver.queries_sent() == 0);

  Resolver::Options v4_options = only(dns.blackhole_server());
  v4_options.family = AF_INET;
  Resolver v4(hub, v4_options);
  CHECK(v4.resolve("localhost").addresses == Addresses{"127.0.0.1"});
  CHECK(v4.resolve("::1").error == errc::dns_not_found);
  CHECK(v4.queries_sent() == 0);
}

TEST_CASE("names in /etc/hosts resolve from it before DNS", "[resolver]") {
  std::optional<std::pair<std::string, std::string>> entry = name_only_in_hosts_file();
  if (!entry) {
    WARN("/etc/hosts has no name besides localhost: nothing to test");
    return;
  }
  const auto& [name, address] = *entry;
  INFO(name << " -> " << address);
  testing::DnsServer dns;  // refuses every name outside .test
  green::Hub hub;

  Resolver::Options with_hosts = only(dns.server());
  with_hosts.use_hosts_file = true;
  Resolver resolver(hub, with_hosts);
  ResolveResult result = resolver.resolve(name);
  CHECK_FALSE(result.error);
  CHECK_THAT(result.addresses, Catch::Matchers::VectorContains(address));

  Resolver dns_only(hub, only(dns.server()));
  CHECK(dns_only.resolve(name).error == errc::dns_failure);
}

TEST_CASE("a killed waiter leaves the shared lookup to the others", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  ResolveResult survivor_result;
  auto victim = green::spawn([&] { resolver.resolve("a.test"); });
  auto survivor = green::spawn([&] { survivor_result = resolver.resolve("a.test"); });
  // Runs in the same hub turn as the two above, so before any answer is read.
  auto killer = green::spawn([&] { victim->kill(false); });
  green::joinall(green::greenlets(victim, survivor, killer));

  CHECK(victim->killed());
  CHECK(victim->successful());  // GreenletExit
  CHECK(survivor_result.addresses == Addresses{"127.0.0.1"});
  CHECK(resolver.queries_sent() == 1);
  CHECK(resolver.resolve("a.test").from_cache);
  CHECK(resolver.queries_sent() == 1);
  CHECK(resolver.waiting() == 0);
  CHECK(resolver.in_flight() == 0);
}

TEST_CASE("killing a waiting greenlet unregisters it and the query goes on", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  auto victim = green::spawn([&] { resolver.resolve("slow.test"); });
  green::sleep(0);  // the victim sends its query and waits: slow.test is never answered
  CHECK(resolver.waiting() == 1);
  victim->kill();
  CHECK(victim->dead());
  CHECK(resolver.waiting() == 0);
  CHECK(resolver.in_flight() == 1);
  CHECK(resolver.resolve("a.test").addresses == Addresses{"127.0.0.1"});
}

TEST_CASE("a greenlet killed while alone on a lookup lets it fill the cache", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver resolver(hub, only(dns.server()));

  auto victim = green::spawn([&] { resolver.resolve("both.test"); });
  auto killer = green::spawn([&] { victim->kill(false); });
  green::joinall(green::greenlets(victim, killer));
  REQUIRE(victim->killed());
  CHECK(resolver.waiting() == 0);

  // Joins the abandoned query if it is still in flight, or hits the cache it filled.
  CHECK(resolver.resolve("both.test").addresses == Addresses{"127.0.0.1", "::1"});
  CHECK(resolver.resolve("both.test").from_cache);
  CHECK(resolver.queries_sent() == 1);
}

TEST_CASE("a green::Timeout while waiting leaves the resolver consistent", "[resolver]") {
  testing::DnsServer dns;
  green::Hub hub;
  Resolver::Options options = only(dns.server());
  options.timeout = 0.5;
  options.tries = 1;
  Resolver resolver(hub, options);

  bool timed_out = false;
  {
    green::Timeout timeout(0.1);
    try {
      resolver.resolve("slow.test");
    } catch (const green::TimeoutError& e) {
      timed_out = e.source() == &timeout;
    }
  }
  CHECK(timed_out);
  CHECK(resolver.waiting() == 0);
  CHECK(resolver.in_flight() == 1);
  // The same query is still in flight: this call joins it, and c-ares's own timeout
  // ends it, waking only the waiters still registered.
  CHECK(resolver.resolve("slow.test").error == errc::dns_timeout);
  CHECK(resolver.queries_sent() == 1);
  CHECK(resolver.resolve("a.test").addresses == Addresses{"127.0.0.1"});
  CHECK(resolver.queries_sent() == 2);
}

TEST_CASE("bad options are rejected at construction", "[resolver]") {
  green::Hub hub;
  Resolver system(hub);  // resolv.conf's servers; only a local answer is asked of it
  CHECK(system.resolve("localhost").addresses == Addresses{"127.0.0.1", "::1"});
  Resolver::Options options;
  options.servers = {"not an address"};
  CHECK_THROWS_AS(Resolver(hub, options), std::invalid_argument);
  Resolver::Options bad_family;
  bad_family.family = 12345;
  CHECK_THROWS_AS(Resolver(hub, bad_family), std::invalid_argument);
  Resolver::Options no_tries;
  no_tries.tries = 0;
  CHECK_THROWS_AS(Resolver(hub, no_tries), std::invalid_argument);
}
