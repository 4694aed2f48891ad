// net::Client with net::Resolver against a real dnsmasq (testing::DnsServer): every
// hop of a redirect chain across hosts is resolved through the resolver, with names
// only that dnsmasq knows (so libcurl's own resolver cannot have answered them);
// DNS failures and timeouts are values of their own kinds.
#include <catch2/catch.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "green/green.hpp"
#include "net/client.hpp"
#include "net/error.hpp"
#include "net/resolver.hpp"
#include "support/dns_server.hpp"
#include "support/http_server.hpp"

using gfetch::net::Client;
using gfetch::net::errc;
using gfetch::net::Request;
using gfetch::net::Resolver;
using gfetch::net::Response;

namespace {

Resolver::Options only(const testing::DnsServer& dns) {
  Resolver::Options options;
  options.servers = {dns.server()};
  options.use_hosts_file = false;
  return options;
}

// Percent-encodes everything but unreserved characters (for URLs in a query).
std::string encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

std::string at(const std::string& host, const testing::HttpServer& server,
               const std::string& path) {
  return "http://" + host + ":" + std::to_string(server.port()) + path;
}

Request get(std::string url) {
  Request request;
  request.url = std::move(url);
  return request;
}

}  // namespace

TEST_CASE("a redirect chain across hosts resolves every hop through the resolver",
          "[client][dns]") {
  testing::DnsServer dns;
  testing::HttpServer first;
  testing::HttpServer second;
  testing::HttpServer third(testing::ServerOptions{.bind = "127.0.0.2"});  // *.wild.test
  green::Hub hub;
  Resolver resolver(hub, only(dns));
  Client client(hub, resolver);

  std::string last = at("x.wild.test", third, "/bytes/64");
  std::string middle = at("both.test", second, "/redirect-to?url=" + encode(last));
  std::string start = at("a.test", first, "/redirect-to?url=" + encode(middle));
  Response response = client.fetch(get(start));
  INFO(response.error_message);
  REQUIRE(response.ok());
  CHECK(response.status == 200);
  CHECK(response.redirects == 2);
  CHECK(response.url == last);
  CHECK(response.bytes_received == 64);
  CHECK(response.remote_ip == "127.0.0.2");
  CHECK(response.timings.dns > 0);
  CHECK(resolver.queries_sent() == 3);
  CHECK(first.stats().requests == 1);
  CHECK(second.stats().requests == 1);
  CHECK(third.stats().requests == 1);

  // Again: the answers come from the resolver's cache, the connections are reused.
  Response again = client.fetch(get(start));
  CHECK(again.ok());
  CHECK(resolver.queries_sent() == 3);
  CHECK(client.stats().connections_opened == 3);
}

TEST_CASE("DNS failures and timeouts are values of their own kinds", "[client][dns]") {
  testing::DnsServer dns;
  testing::HttpServer server;
  green::Hub hub;
  Resolver resolver(hub, only(dns));
  Client client(hub, resolver);

  Response missing = client.fetch(get(at("nx.test", server, "/bytes/1")));
  CHECK(missing.error == errc::dns_not_found);
  CHECK(missing.status == 0);
  CHECK(missing.error_message.find("nx.test") != std::string::npos);

  Response refused = client.fetch(get(at("example.com", server, "/bytes/1")));
  CHECK(refused.error == errc::dns_failure);

  Request slow = get(at("slow.test", server, "/bytes/1"));
  slow.timeouts.dns = 0.3;
  hub.update_now();
  double started = hub.now();
  Response timed_out = client.fetch(slow);
  hub.update_now();
  CHECK(timed_out.error == errc::dns_timeout);
  CHECK(hub.now() - started < 0.3 + 1.0);
  CHECK(timed_out.timings.dns >= 0.29);

  // The fetch's own deadline binds before the lookup's: a total timeout.
  Request deadline = get(at("slow.test", server, "/bytes/1"));
  deadline.timeouts.total = 0.2;
  CHECK(client.fetch(deadline).error == errc::total_timeout);

  // A redirect to a name that does not exist fails on that hop.
  Response hop = client.fetch(
      get(at("a.test", server, "/redirect-to?url=" + encode(at("nx.test", server, "/")))));
  CHECK(hop.error == errc::dns_not_found);
  CHECK(hop.redirects == 1);
  CHECK(hop.status == 302);

  CHECK(client.fetch(get(at("a.test", server, "/bytes/3"))).ok());
}

TEST_CASE("an IPv6 answer reaches libcurl", "[client][dns]") {
  testing::DnsServer dns;
  std::optional<testing::HttpServer> server;
  try {
    server.emplace(testing::ServerOptions{.bind = "::1"});
  } catch (const std::exception& e) {
    WARN("no IPv6 loopback here (" << e.what() << "): test skipped");
    return;
  }
  green::Hub hub;
  Resolver resolver(hub, only(dns));
  Client client(hub, resolver);
  Response response = client.fetch(get(at("v6.test", *server, "/bytes/10")));
  INFO(response.error_message);
  REQUIRE(response.ok());
  CHECK(response.remote_ip == "::1");
  CHECK(response.bytes_received == 10);
}

TEST_CASE("a client makes its own resolver from its options", "[client][dns]") {
  testing::DnsServer dns;
  testing::HttpServer server;
  green::Hub hub;
  Client::Options options;
  options.resolver = only(dns);
  Client client(hub, options);
  Response response = client.fetch(get(at("a.test", server, "/bytes/5")));
  INFO(response.error_message);
  CHECK(response.ok());
  CHECK(response.bytes_received == 5);
}

TEST_CASE("a request's resolve overrides answer instead of DNS", "[client][dns]") {
  testing::DnsServer dns;
  testing::HttpServer server;
  green::Hub hub;
  Resolver resolver(hub, only(dns));
  Client client(hub, resolver);
  const std::string port = std::to_string(server.port());

  // nx.test does not exist in DNS; the override answers for it, also after a redirect.
  Request request = get(at("NX.test", server, "/redirect/2"));
  request.resolve = {"other.test:1:10.0.0.1", "nx.test:" + port + ":127.0.0.1"};
  Response response = client.fetch(request);
  INFO(response.error_message);
  CHECK(response.ok());
  CHECK(response.redirects == 2);
  CHECK(response.bytes_received == 16);
  CHECK(resolver.queries_sent() == 0);

  // Another port of the same name is not covered.
  request.url = "http://nx.test:1/";
  CHECK(client.fetch(request).error == errc::dns_not_found);
}

TEST_CASE("an international host name is looked up and sent in punycode", "[client][dns]") {
  // A program that never calls setlocale runs in the C locale, where libcurl 7.88
  // cannot convert a UTF-8 name: this test runs there too.
  testing::DnsServer dns;
  testing::HttpServer server(testing::ServerOptions{.bind = "127.0.0.2"});  // *.wild.test
  green::Hub hub;
  Resolver resolver(hub, only(dns));
  Client client(hub, resolver);
  const std::string port = std::to_string(server.port());

  Request request = get(at("Bücher.wild.test", server, "/headers"));
  request.sink = gfetch::net::BodySink::memory();
  Response response = client.fetch(request);
  INFO(response.error_message);
  REQUIRE(response.ok());
  CHECK(response.body.find("Host: xn--bcher-kva.wild.test:" + port + "\n") != std::string::npos);
  CHECK(response.url == at("xn--bcher-kva.wild.test", server, "/headers"));
  CHECK(response.remote_ip == "127.0.0.2");

  // A redirect's Location may name one too.
  std::string target = at("straße.wild.test", server, "/bytes/3");
  Response redirected =
      client.fetch(get(at("a.wild.test", server, "/redirect-to?url=" + encode(target))));
  INFO(redirected.error_message);
  CHECK(redirected.ok());
  CHECK(redirected.url == at("xn--strae-oqa.wild.test", server, "/bytes/3"));

  // A resolve override matches the name in either spelling; DNS has neither.
  Request overridden = get(at("bücher.nx.test", server, "/bytes/4"));
  overridden.resolve = {"BÜCHER.nx.test:" + port + ":127.0.0.2"};
  Response answered = client.fetch(overridden);
  INFO(answered.error_message);
  CHECK(answered.ok());
  overridden.resolve = {"xn--bcher-kva.nx.test:" + port + ":127.0.0.2"};
  CHECK(client.fetch(overridden).ok());
}
