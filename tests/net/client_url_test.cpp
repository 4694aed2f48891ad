// URL helpers (net/url.hpp; url_test.cpp compares its fast path with libcurl) and
// proxy selection: parsing and normalising, redirect targets, IP literals, no_proxy
// rules, and fetches through a proxy (the loopback HttpServer answers absolute-form
// requests).
#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "green/green.hpp"
#include "net/client.hpp"
#include "net/detail/proxy.hpp"
#include "net/error.hpp"
#include "net/url.hpp"
#include "support/http_server.hpp"

using gfetch::net::BodySink;
using gfetch::net::Client;
using gfetch::net::is_ip_literal;
using gfetch::net::parse_proxy_url;
using gfetch::net::parse_url;
using gfetch::net::Request;
using gfetch::net::resolve_url;
using gfetch::net::Response;
using gfetch::net::detail::matches_no_proxy;

TEST_CASE("parse_url validates and normalises http(s) URLs", "[url]") {
  auto url = parse_url("HTTP://Example.COM/a/../b?q=1#frag");
  REQUIRE(url);
  CHECK(url->scheme == "http");
  CHECK(url->host == "example.com");
  CHECK(url->port == 80);
  CHECK(url->href.starts_with("http://example.com/b?q=1"));

  auto secure = parse_url("https://127.0.0.1:8443/x");
  REQUIRE(secure);
  CHECK(secure->port == 8443);
  CHECK(secure->host == "127.0.0.1");

  auto v6 = parse_url("http://[::1]:8080/");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8080);

  auto spaced = parse_url("http://example.com/a b");
  REQUIRE(spaced);
  CHECK(spaced->href == "http://example.com/a%20b");

  std::string why;
  CHECK_FALSE(parse_url("ftp://example.com/", &why));
  CHECK(why.find("ftp") != std::string::npos);
  CHECK_FALSE(parse_url("example.com/x"));
  CHECK_FALSE(parse_url(""));
  CHECK_FALSE(parse_url("http://"));
  CHECK_FALSE(parse_url("http://exa mple.com/"));

  auto guessed = parse_url("example.com/x", nullptr, "https");
  REQUIRE(guessed);
  CHECK(guessed->href == "https://example.com/x");
  CHECK(guessed->port == 443);
}

TEST_CASE("resolve_url follows Location like a browser", "[url]") {
  const std::string base = "http://a.test:8080/dir/page?x=1";
  CHECK(resolve_url(base, "other")->href == "http://a.test:8080/dir/other");
  CHECK(resolve_url(base, "../up")->href == "http://a.test:8080/up");
  CHECK(resolve_url(base, "/root?y=2")->href == "http://a.test:8080/root?y=2");
  CHECK(resolve_url(base, "//b.test/p")->href == "http://b.test/p");
  auto absolute = resolve_url(base, "https://c.test/q");
  REQUIRE(absolute);
  CHECK(absolute->host == "c.test");
  CHECK(absolute->port == 443);
  CHECK_FALSE(resolve_url(base, "ftp://d.test/"));
  CHECK_FALSE(resolve_url(base, "mailto:someone@example.com"));
}

TEST_CASE("IP literals need no DNS", "[url]") {
  CHECK(is_ip_literal("127.0.0.1"));
  CHECK(is_ip_literal("::1"));
  CHECK(is_ip_literal("[::1]"));
  CHECK(is_ip_literal("2001:db8::7"));
  CHECK_FALSE(is_ip_literal("localhost"));
  CHECK_FALSE(is_ip_literal("a.test"));
  CHECK_FALSE(is_ip_literal("1.2.3"));
  CHECK_FALSE(is_ip_literal(""));
  // IPv4 is decided without inet_pton: it must agree with it on every form.
  const char* parts[] = {"0",   "1",   "00",   "01", "9", "10",  "99", "100", "255",
                         "256", "999", "1000", "",   "a", "0x1", " 1", "-1"};
  for (const char* a : parts) {
    for (const char* b : {"0", "01", "255", "256", ""}) {
      for (const std::string& text :
           {std::string(a) + "." + b + ".2.3", std::string("4.") + a + "." + b + ".7",
            std::string(a) + "." + b, std::string(a) + ".1.2.3.4", std::string(a) + ".1.2." + b}) {
        unsigned char address[sizeof(in6_addr)];
        INFO(text);
        CHECK(is_ip_literal(text) == (inet_pton(AF_INET, text.c_str(), address) == 1));
      }
    }
  }
}

TEST_CASE("proxy URLs and no_proxy lists", "[url][proxy]") {
  auto plain = parse_proxy_url("proxy.test:3128");
  REQUIRE(plain);
  CHECK(plain->scheme == "http");
  CHECK(plain->host == "proxy.test");
  CHECK(plain->port == 3128);
  CHECK(parse_proxy_url("http://proxy.test")->port == 1080);
  CHECK(parse_proxy_url("https://proxy.test")->port == 443);
  auto socks = parse_proxy_url("socks5h://127.0.0.1:9050");
  REQUIRE(socks);
  CHECK(socks->scheme == "socks5h");
  CHECK(socks->port == 9050);
  CHECK_FALSE(parse_proxy_url(""));

  CHECK(gfetch::net::detail::proxy_resolves_names("http"));
  CHECK(gfetch::net::detail::proxy_resolves_names("socks5h"));
  CHECK_FALSE(gfetch::net::detail::proxy_resolves_names("socks5"));

  CHECK(matches_no_proxy("example.com", "example.com"));
  CHECK(matches_no_proxy("www.example.com", ".example.com"));
  CHECK(matches_no_proxy("www.Example.com", "example.com"));
  CHECK_FALSE(matches_no_proxy("badexample.com", "example.com"));
  CHECK(matches_no_proxy("anything", "*"));
  CHECK(matches_no_proxy("127.0.0.1", "localhost, 127.0.0.1"));
  CHECK(matches_no_proxy("::1", "[::1]"));
  CHECK_FALSE(matches_no_proxy("example.org", ""));
}

TEST_CASE("a fetch given the URL's layout fetches what the URL says", "[client][url]") {
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  Request request;
  for (const std::string& url : {server.url("/bytes/5?x=1"), server.url("/bytes/6")}) {
    std::optional<gfetch::net::UrlLayout> layout = gfetch::net::scan_url_layout(url);
    REQUIRE(layout);
    Response response = client.fetch(request, url, &*layout);
    INFO(url << ": " << response.error_message);
    REQUIRE(response.ok());
    CHECK(response.url == url);
    CHECK(response.bytes_received == (url.find("/5") != std::string::npos ? 5u : 6u));
  }
  CHECK(server.stats().count("/bytes/5") == 1);
  CHECK(server.stats().count("/bytes/6") == 1);
}

TEST_CASE("fetches go through a proxy, and no_proxy bypasses it", "[client][proxy]") {
  testing::HttpServer proxy;   // answers absolute-form requests as its own paths
  testing::HttpServer origin;  // reached directly when no_proxy matches
  green::Hub hub;

  // The target name is never resolved: the proxy gets it.
  Client::Options options;
  options.proxy = proxy.base_url();
  Client client(hub, options);
  Response via = client.fetch(Request{.url = "http://nowhere.invalid:9/bytes/7"});
  INFO(via.error_message);
  REQUIRE(via.ok());
  CHECK(via.bytes_received == 7);
  CHECK(via.remote_port == proxy.port());
  CHECK(proxy.stats().count("/bytes/7") == 1);
  // Through a proxy the User-Agent is libcurl's option (CONNECT carries it): once.
  Response echoed =
      client.fetch(Request{.url = "http://nowhere.invalid:9/headers", .sink = BodySink::memory()});
  REQUIRE(echoed.ok());
  const std::string agent = "User-Agent: " + Client::Options{}.user_agent + "\n";
  const std::size_t first = echoed.body.find(agent);
  CHECK(first != std::string::npos);
  CHECK(echoed.body.find("User-Agent", first + 1) == std::string::npos);

  // A request's own proxy setting wins: "" connects directly.
  Response direct = client.fetch(Request{.url = origin.url("/bytes/3"), .proxy = ""});
  REQUIRE(direct.ok());
  CHECK(direct.remote_port == origin.port());

  options.no_proxy = "127.0.0.1";
  Client bypassing(hub, options);
  Response bypassed = bypassing.fetch(Request{.url = origin.url("/bytes/4")});
  REQUIRE(bypassed.ok());
  CHECK(bypassed.remote_port == origin.port());
  CHECK(origin.stats().count("/bytes/4") == 1);
}

TEST_CASE("a proxy that cannot be reached is named in the error", "[client][proxy]") {
  green::Hub hub;
  Client client(hub);
  Response response =
      client.fetch(Request{.url = "http://nowhere.invalid:9/", .proxy = "http://127.0.0.1:1"});
  CHECK(response.error == gfetch::net::errc::connect_refused);
  CHECK(response.error_message.starts_with("cannot connect to proxy http://127.0.0.1:1: "));
  CHECK(response.error_message.ends_with("Connection refused"));
  // Its credentials are not.
  Response with_password = client.fetch(
      Request{.url = "http://nowhere.invalid:9/", .proxy = "http://user:secret@127.0.0.1:1"});
  CHECK(with_password.error_message.starts_with("cannot connect to proxy http://127.0.0.1:1: "));
}

TEST_CASE("the proxy environment is read once, when the client starts", "[client][proxy]") {
  testing::HttpServer proxy;
  green::Hub hub;
  ::setenv("http_proxy", proxy.base_url().c_str(), 1);
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  Client client(hub);
  ::unsetenv("http_proxy");  // later changes do not matter
  Response response = client.fetch(Request{.url = "http://nowhere.invalid:9/bytes/9"});
  INFO(response.error_message);
  CHECK(response.ok());
  CHECK(response.bytes_received == 9);
  CHECK(proxy.stats().count("/bytes/9") == 1);
}

TEST_CASE("remove_headers keeps libcurl's and the client's headers off the wire", "[client]") {
  testing::HttpServer server;
  testing::HttpServer proxy;  // answers absolute-form requests as its own paths
  green::Hub hub;
  Client client(hub);
  for (const std::string via : {"", "proxy"}) {
    INFO("via " << (via.empty() ? "direct" : via));
    Request request{.url = server.url("/headers"), .sink = BodySink::memory()};
    request.remove_headers = {"Accept", "user-agent"};
    request.headers = {{"X-Empty", ""}};
    if (!via.empty()) request.proxy = proxy.base_url();
    Response response = client.fetch(request);
    REQUIRE(response.ok());
    CHECK(response.body.find("Accept") == std::string::npos);
    CHECK(response.body.find("User-Agent") == std::string::npos);
    CHECK(response.body.find("X-Empty: \n") != std::string::npos);
  }
}
