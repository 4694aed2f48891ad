// net::parse_url's fast path against libcurl's CURLU parse, its reference: both
// must agree, field by field and on acceptance, over a generated corpus of tricky
// URLs; the fast path's own results for typical URLs, and proof that it takes them.
#include <locale.h>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "net/detail/url_parse.hpp"
#include "net/url.hpp"

using gfetch::net::parse_url;
using gfetch::net::scan_url_layout;
using gfetch::net::Url;
using gfetch::net::UrlLayout;
using gfetch::net::detail::parse_url_curl;
using gfetch::net::detail::parse_url_fast;

namespace {

std::string show(const std::optional<Url>& url) {
  if (!url) return "rejected";
  return "href=" + url->href + " scheme=" + url->scheme + " host=" + url->host +
         " port=" + std::to_string(url->port) + " path=" + url->path + " query=" + url->query;
}

bool same(const Url& a, const Url& b) {
  return a.href == b.href && a.scheme == b.scheme && a.host == b.host && a.port == b.port &&
         a.path == b.path && a.query == b.query;
}

// One URL of the corpus and the default scheme to parse it with.
struct Case {
  std::string text;
  std::string default_scheme;
};

// Every scheme x host x port x path; query, user info and fragment rotate with the
// indices so that each meets every path, port and host.
std::vector<Case> make_corpus() {
  const std::vector<std::string> schemes = {"http://",  "HTTP://", "Http://", "https://",
                                            "hTTPs://", "ftp://",  "http:/",  ""};
  const std::vector<std::string> hosts = {"example.com",
                                          "EXAMPLE.COM",
                                          "Example.Com",
                                          "localhost",
                                          "LOCALHOST",
                                          "a",
                                          "www.a-b_c.test",
                                          "-dash-.test",
                                          "_under.test",
                                          "12345",
                                          "127.0.0.1",
                                          "0.0.0.0",
                                          "255.255.255.255",
                                          "256.1.1.1",
                                          "127.1",
                                          "0x7f.0.0.1",
                                          "0X7F.0.0.1",
                                          "0177.0.0.1",
                                          "01.2.3.4",
                                          "1.2.3.04",
                                          "1.2.30.4",
                                          "1.2.3.256",
                                          "1.2.3.1234",
                                          "100.200.250.199",
                                          "9.99.255.0",
                                          "1.2.3",
                                          "1..2.3",
                                          "1.2.3.4.5",
                                          "1.2.3.4.",
                                          "1e.com",
                                          "163.com",
                                          "1a.2b",
                                          "example.com.",
                                          ".example.com",
                                          "a..b",
                                          "xn--bcher-kva.example",
                                          "bücher.example",
                                          "BÜCHER.example",
                                          "[::1]",
                                          "[2001:DB8::7]",
                                          "[fe80::1%25eth0]",
                                          "[::ffff:127.0.0.1]",
                                          "[::1",
                                          "file",
                                          "dict",
                                          "http",
                                          "ex%41mple.com",
                                          "ex ample.com",
                                          "ex<ample.com",
                                          ""};
  const std::vector<std::string> ports = {"",     ":",     ":0",     ":080",   ":80",
                                          ":443", ":8080", ":65535", ":65536", ":99999",
                                          ":8x",  ":-1",   ":1:2"};
  const std::vector<std::string> paths = {"",
                                          "/",
                                          "/a/b",
                                          "/a/./b",
                                          "/a/../b",
                                          "/a/.",
                                          "/a/..",
                                          "/.well-known/x",
                                          "/..a/...",
                                          "//x",
                                          "/%41%zz",
                                          "/%",
                                          "/a b",
                                          "/ü",
                                          "/a;b=c",
                                          "/~u/!$&'()*+,;=:@",
                                          "/a\\b",
                                          "/\"<>`{}|^[]",
                                          "/1k/f000001",
                                          "/A/B.html",
                                          "/a/%2e%2e/b"};
  const std::vector<std::string> queries = {"",     "?",  "?a=b&c=d", "?x=/y?z",
                                            "?a b", "?ü", "?%zz",     "?A=B&./.."};
  const std::vector<std::string> userinfos = {"user@", "u:p@", "@", ""};
  const std::vector<std::string> fragments = {"#", "#frag", ""};

  std::vector<Case> corpus;
  auto add = [&corpus](const std::string& scheme, const std::string& rest, bool https) {
    if (scheme.empty()) {
      corpus.push_back({rest, "http"});
      corpus.push_back({rest, "https"});
    } else {
      // Some with a default scheme too: it must not matter when there is one.
      corpus.push_back({scheme + rest, https ? "https" : ""});
    }
  };
  for (std::size_t s = 0; s < schemes.size(); ++s) {
    for (std::size_t h = 0; h < hosts.size(); ++h) {
      for (std::size_t p = 0; p < ports.size(); ++p) {
        for (std::size_t t = 0; t < paths.size(); ++t) {
          const std::string authority = hosts[h] + ports[p];
          const std::string& query = queries[(h + p + t) % queries.size()];
          add(schemes[s], authority + paths[t] + query, (h + p + t) % 3 == 0);
          // The same with user info and a fragment, another query.
          const std::string& userinfo = userinfos[(h + 2 * p + t) % userinfos.size()];
          const std::string& fragment = fragments[(h + p + 2 * t + s) % fragments.size()];
          const std::string& other_query = queries[(h + 2 * p + t + s + 3) % queries.size()];
          add(schemes[s], userinfo + authority + paths[t] + other_query + fragment,
              (h + p + t) % 3 == 1);
        }
      }
    }
  }
  return corpus;
}

}  // namespace

TEST_CASE("the fast path and libcurl's CURLU agree on a corpus of tricky URLs", "[url]") {
  const std::vector<Case> corpus = make_corpus();
  REQUIRE(corpus.size() > 100000);
  std::size_t fast_count = 0;
  std::size_t accepted = 0;
  std::vector<std::string> mismatches;
  for (const Case& c : corpus) {
    std::optional<Url> reference = parse_url_curl(c.text, nullptr, c.default_scheme);
    std::optional<Url> fast = parse_url_fast(c.text, c.default_scheme);
    std::string why;
    std::optional<Url> combined = parse_url(c.text, &why, c.default_scheme);
    if (reference) ++accepted;
    if (fast) ++fast_count;  // else it fell back, which is always allowed
    // parse_url: the fast path's Url or the reference's verdict, with a reason.
    const bool fast_agrees = !fast || (reference && same(*fast, *reference));
    const bool combined_agrees =
        combined ? reference && same(*combined, *reference) : !reference && !why.empty();
    if (!fast_agrees || !combined_agrees) {
      mismatches.push_back("\"" + c.text + "\" (default \"" + c.default_scheme +
                           "\"):\n  fast: " + show(fast) + "\n  parse_url: " + show(combined) +
                           "\n  curl: " + show(reference));
    }
  }
  std::string report;
  for (std::size_t i = 0; i < mismatches.size() && i < 20; ++i) report += mismatches[i] + "\n";
  INFO(mismatches.size() << " mismatches of " << corpus.size() << " URLs:\n" << report);
  CHECK(mismatches.empty());
  // The corpus must exercise both sides: a fast path that always fell back would
  // agree with anything.
  INFO(fast_count << " of " << corpus.size() << " taken by the fast path, " << accepted
                  << " accepted by libcurl");
  CHECK(fast_count > corpus.size() / 50);
  CHECK(accepted > fast_count);
}

TEST_CASE("scan_url_layout: a layout when the fast path takes the URL, the same Url from it",
          "[url]") {
  const std::vector<Case> corpus = make_corpus();
  std::size_t layouts = 0;
  std::vector<std::string> mismatches;
  for (const Case& c : corpus) {
    std::optional<Url> fast = parse_url_fast(c.text);  // by its own scheme
    std::optional<UrlLayout> layout = scan_url_layout(c.text);
    const bool expected = fast && fast->port != 0;
    if (layout) ++layouts;
    if (layout.has_value() != expected) {
      mismatches.push_back("\"" + c.text + "\": layout " + (layout ? "found" : "not found"));
    } else if (layout && !same(parse_url(c.text, *layout), *fast)) {
      mismatches.push_back("\"" + c.text + "\":\n  from layout: " +
                           show(parse_url(c.text, *layout)) + "\n  fast: " + show(fast));
    }
  }
  std::string report;
  for (std::size_t i = 0; i < mismatches.size() && i < 20; ++i) report += mismatches[i] + "\n";
  INFO(mismatches.size() << " mismatches of " << corpus.size() << " URLs:\n" << report);
  CHECK(mismatches.empty());
  INFO(layouts << " layouts");
  CHECK(layouts > corpus.size() / 100);
  // Each part of a layout, on one URL that has them all.
  std::optional<UrlLayout> all = scan_url_layout("https://Ex.test:8443/a/b?c=d");
  REQUIRE(all);
  CHECK(all->host_end == 15);
  CHECK(all->port_end == 20);
  CHECK(all->path_end == 24);
  CHECK(all->port == 8443);
  CHECK(all->https);
  CHECK(all->fold_host);
  CHECK_FALSE(all->text_is_href);
  CHECK(parse_url("https://Ex.test:8443/a/b?c=d", *all).href == "https://ex.test:8443/a/b?c=d");
}

TEST_CASE("typical URLs take the fast path", "[url]") {
  std::optional<Url> loopback = parse_url_fast("http://127.0.0.1:8080/1k/f000001");
  REQUIRE(loopback);
  CHECK(loopback->href == "http://127.0.0.1:8080/1k/f000001");
  CHECK(loopback->scheme == "http");
  CHECK(loopback->host == "127.0.0.1");
  CHECK(loopback->port == 8080);
  CHECK(loopback->path == "/1k/f000001");
  CHECK(loopback->query.empty());

  std::optional<Url> named = parse_url_fast("https://example.com/a/b?c=d");
  REQUIRE(named);
  CHECK(named->href == "https://example.com/a/b?c=d");
  CHECK(named->scheme == "https");
  CHECK(named->host == "example.com");
  CHECK(named->port == 443);
  CHECK(named->path == "/a/b");
  CHECK(named->query == "c=d");

  // Upper case in scheme and host is folded, a missing path becomes "/", an
  // explicit default port stays in href.
  std::optional<Url> folded = parse_url_fast("HTTP://WWW.Example.COM:80?q=%20x");
  REQUIRE(folded);
  CHECK(folded->href == "http://www.example.com:80/?q=%20x");
  CHECK(folded->host == "www.example.com");
  CHECK(folded->port == 80);
  CHECK(folded->path == "/");
  CHECK(folded->query == "q=%20x");

  std::optional<Url> defaulted = parse_url_fast("127.0.0.1:43002/x", "https");
  REQUIRE(defaulted);
  CHECK(defaulted->href == "https://127.0.0.1:43002/x");
  CHECK_FALSE(parse_url_fast("127.0.0.1:43002/x"));  // no default scheme: libcurl refuses it

  // parse_url gives the same.
  std::optional<Url> via_parse_url = parse_url("https://example.com/a/b?c=d");
  REQUIRE(via_parse_url);
  CHECK(same(*via_parse_url, *named));
}

TEST_CASE("the fast path leaves what libcurl rewrites or rejects to libcurl", "[url]") {
  struct Rewritten {
    const char* text;
    const char* href;
  };
  for (Rewritten r : {Rewritten{"http://127.1/", "http://127.0.0.1/"},
                      Rewritten{"http://0x7f.0.0.1:80/", "http://127.0.0.1:80/"},
                      Rewritten{"http://a.test/x/./y/../z", "http://a.test/x/z"},
                      Rewritten{"http://a.test:080/", "http://a.test:80/"},
                      Rewritten{"http://a.test/a b?c d", "http://a.test/a%20b?c+d"},
                      Rewritten{"http://a.test/#frag", "http://a.test/#frag"},
                      Rewritten{"http://a.test/x?", "http://a.test/x"},
                      Rewritten{"http://user@a.test/", "http://user@a.test/"},
                      Rewritten{"http://[::1]:8080/", "http://[::1]:8080/"},
                      Rewritten{"http://bücher.example/", "http://xn--bcher-kva.example/"}}) {
    INFO(r.text);
    CHECK_FALSE(parse_url_fast(r.text));
    std::optional<Url> url = parse_url(r.text);
    REQUIRE(url);
    CHECK(url->href == r.href);
  }
  CHECK(parse_url("http://[::1]:8080/a?b")->path == "/a");
  CHECK(parse_url("http://[::1]:8080/a?b")->query == "b");

  for (const char* bad : {"http://a.test:99999/", "http://a.test:65536/", "http://a b/",
                          "http://[::1/", "http://", "http://a.test:8x/"}) {
    INFO(bad);
    CHECK_FALSE(parse_url_fast(bad));
    std::string why;
    CHECK_FALSE(parse_url(bad, &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("parse_url says what is wrong", "[url]") {
  auto why = [](const char* text) {
    std::string reason;
    CHECK_FALSE(parse_url(text, &reason));
    return reason;
  };
  CHECK(why("http://a.test:99999/").find("bad port") != std::string::npos);
  CHECK(why("http://").find("no host") != std::string::npos);
  CHECK(why("http://ex<ample.com/").find("bad character in host") != std::string::npos);
  CHECK(why("http://[::1/").find("unterminated IPv6") != std::string::npos);
  CHECK(why("http://[zz]/").find("bad IPv6") != std::string::npos);
  CHECK(why("ftp://a.test/").find("unsupported scheme 'ftp'") != std::string::npos);
  CHECK(why("a.test/x").find("scheme") != std::string::npos);
}

TEST_CASE("redirect targets carry path and query", "[url]") {
  std::optional<Url> next = gfetch::net::resolve_url("http://a.test/dir/page?x=1", "../b?c=d");
  REQUIRE(next);
  CHECK(next->href == "http://a.test/b?c=d");
  CHECK(next->path == "/b");
  CHECK(next->query == "c=d");
  std::optional<Url> bare = gfetch::net::resolve_url("http://a.test/dir/page?x=1", "/");
  REQUIRE(bare);
  CHECK(bare->path == "/");
  CHECK(bare->query.empty());
}

TEST_CASE("an international host name is read in punycode, whatever the locale", "[url]") {
  // Catch2's main never calls setlocale: this runs in the C locale, where libcurl
  // 7.88 alone fails on every non-ASCII name.
  const locale_t before = uselocale(locale_t{});
  std::optional<Url> url = parse_url("http://Bücher.example:8080/ä?q=ü");
  REQUIRE(url);
  CHECK(url->host == "xn--bcher-kva.example");
  CHECK(url->href == "http://xn--bcher-kva.example:8080/%c3%a4?q=%c3%bc");
  CHECK(uselocale(locale_t{}) == before);

  std::optional<Url> next = gfetch::net::resolve_url("http://a.test/", "//straße.test/x");
  REQUIRE(next);
  CHECK(next->host == "xn--strae-oqa.test");
  CHECK(next->href == "http://xn--strae-oqa.test/x");

  CHECK(gfetch::net::ascii_host("BÜCHER.example") == "xn--bcher-kva.example");
  CHECK(gfetch::net::ascii_host("A.Test") == "a.test");
  CHECK(gfetch::net::ascii_host("\xff\xfe.test").empty());

  std::string why;
  CHECK_FALSE(parse_url("http://\xff\xfe.test/", &why));
  CHECK(why.find("bad international host name") != std::string::npos);
}
