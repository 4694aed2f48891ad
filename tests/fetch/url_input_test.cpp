// URL input: normalisation (trim, comments, default scheme, invalid URLs), host
// keys for --per-host, and the reader's FILE:LINE numbering, order and --dedupe.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "fetch/url_input.hpp"
#include "green/green.hpp"

using gfetch::InputLine;
using gfetch::InputSpec;
using gfetch::normalise_url;
using gfetch::UrlReader;

namespace {

std::string temp_file(const std::string& content) {
  char path[] = "/tmp/gfetch-input-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

std::vector<InputLine> read_all(InputSpec spec) {
  UrlReader reader(std::move(spec));
  std::vector<InputLine> out;
  while (std::optional<InputLine> line = reader.next()) out.push_back(*line);
  return out;
}

}  // namespace

TEST_CASE("blank lines and comments are skipped, whitespace trimmed") {
  CHECK_FALSE(normalise_url(""));
  CHECK_FALSE(normalise_url("   \t\r"));
  CHECK_FALSE(normalise_url("# a comment"));
  CHECK_FALSE(normalise_url("   # indented comment"));
  auto url = normalise_url("  \thttp://example.com/a \r");
  REQUIRE(url);
  CHECK(url->url == "http://example.com/a");
  CHECK(url->error.empty());
}

TEST_CASE("a canonical URL carries its layout, so the client does not scan it again") {
  auto url = normalise_url("  http://127.0.0.1:8080/1k/f000001?a=b\n");
  REQUIRE(url);
  REQUIRE(url->layout);
  CHECK(*url->layout == *gfetch::net::scan_url_layout(url->url));  // of the trimmed text
  CHECK(gfetch::net::parse_url(url->url, *url->layout).host == "127.0.0.1");
  CHECK_FALSE(normalise_url("example.com/x")->layout);         // rewritten: the client parses it
  CHECK_FALSE(normalise_url("http://exa mple.com/")->layout);  // invalid
  CHECK_FALSE(normalise_url("http://[::1]:80/")->layout);      // not canonical: libcurl's
  std::vector<InputLine> lines = read_all(InputSpec{{"http://a.test/x", "b.test"}, {}, false});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].layout);
  CHECK_FALSE(lines[1].layout);
}

TEST_CASE("a URL without a scheme gets http://, schemes are lower-cased") {
  CHECK(normalise_url("example.com")->url == "http://example.com");
  CHECK(normalise_url("localhost:8080/x?y=1")->url == "http://localhost:8080/x?y=1");
  CHECK(normalise_url("HTTPS://Example.com/Path")->url == "https://Example.com/Path");
  CHECK(normalise_url("[::1]:80/")->url == "http://[::1]:80/");
  CHECK(normalise_url("user@host.example/")->url == "http://user@host.example/");
}

TEST_CASE("invalid URLs say why") {
  auto check = [](const char* text, const char* why) {
    auto url = normalise_url(text);
    REQUIRE(url);
    INFO(text);
    CHECK(url->error.find(why) != std::string::npos);
  };
  check("ftp://example.com/", "unsupported scheme 'ftp'");
  check("http://", "no host");
  check("http:///path", "no host");
  check("http://exa mple.com/", "whitespace");
  // Canonical but for one byte, anywhere: host, path, query, the end.
  check("http://exa\x01mple.com/", "control characters");
  check("http://example.com/a\tb", "control characters");
  check("http://example.com/a?q=\x7f", "control characters");
  check("http://example.com/a b", "whitespace");
  check("http://127.0.0.1:8080/x\x1f", "control characters");
  check("http://example.com:99999/", "bad port");
  check("http://example.com:0/", "bad port");
  check("http://example.com:8x/", "bad port");
  check("http://ex<ample.com/", "bad character in host");
  check("http://[::1/", "unterminated IPv6");
  check("http://[zz]/", "bad IPv6");
}

TEST_CASE("host keys name host and port, default ports filled in") {
  CHECK(gfetch::host_key("http://Example.COM/x") == "example.com:80");
  CHECK(gfetch::host_key("https://example.com/x") == "example.com:443");
  CHECK(gfetch::host_key("http://u:p@127.0.0.1:8080/x") == "127.0.0.1:8080");
  CHECK(gfetch::host_key("http://[::1]:81/") == "[::1]:81");
  CHECK(gfetch::host_key("nonsense").empty());
}

TEST_CASE("the reader numbers lines FILE:LINE, arguments first, files in order") {
  std::string first = temp_file("# urls\nhttp://a.example/1\n\n  b.example/2  \nbad url\n");
  std::string second = temp_file("http://c.example/3");  // no final newline
  InputSpec spec;
  spec.urls = {"http://arg.example/", "# not a comment when it is an argument?"};
  spec.files = {first, second};
  std::vector<InputLine> lines = read_all(spec);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].url == "http://arg.example/");
  CHECK(lines[0].where.label() == "<arg>:1");
  CHECK(lines[1].url == "http://a.example/1");
  CHECK(lines[1].where.label() == first + ":2");
  CHECK(lines[2].url == "http://b.example/2");
  CHECK(lines[2].where.label() == first + ":4");
  CHECK(lines[3].url == "bad url");
  CHECK(lines[3].where.label() == first + ":5");
  CHECK_FALSE(lines[3].error.empty());
  CHECK(lines[4].url == "http://c.example/3");
  CHECK(lines[4].where.label() == second + ":1");
  ::unlink(first.c_str());
  ::unlink(second.c_str());
}

TEST_CASE("dedupe drops repeated URLs, after normalisation") {
  // The same resource spelled five ways: no scheme, upper-case scheme and host,
  // a "." segment, a fragment (never sent). A query makes another URL.
  std::string file = temp_file(
      "a.example/x\nhttp://a.example/x\nHTTP://A.Example/x\nhttp://a.example/./x\n"
      "http://a.example/x#part\nhttp://a.example/x?q\nb.example\n");
  InputSpec spec;
  spec.files = {file};
  spec.dedupe = true;
  UrlReader reader(spec);
  std::vector<std::string> urls;
  while (auto line = reader.next()) urls.push_back(line->url);
  CHECK(urls ==
        std::vector<std::string>{"http://a.example/x", "http://a.example/x?q", "http://b.example"});
  CHECK(reader.duplicates() == 4);
  spec.dedupe = false;
  CHECK(read_all(spec).size() == 7);
  ::unlink(file.c_str());
}

TEST_CASE("a large input is read in chunks, every line counted") {
  std::string content;
  for (int i = 1; i <= 50000; ++i) content += "http://h.example/" + std::to_string(i) + "\n";
  std::string file = temp_file(content);
  InputSpec spec;
  spec.files = {file};
  std::vector<InputLine> lines = read_all(spec);
  REQUIRE(lines.size() == 50000);
  CHECK(lines.back().where.label() == file + ":50000");
  CHECK(lines.back().url == "http://h.example/50000");
  ::unlink(file.c_str());
}

TEST_CASE("an unreadable file is an error naming it") {
  InputSpec spec;
  spec.files = {"/nonexistent/urls.txt"};
  UrlReader reader(spec);
  CHECK_THROWS_WITH(reader.next(), Catch::Contains("/nonexistent/urls.txt"));
}

TEST_CASE("/dev/null as input ends at once, as stdin or as -i") {
  // epoll refuses /dev/null: waiting for it through the hub would never end.
  green::Hub hub;
  InputSpec spec;
  spec.files = {"/dev/null"};
  std::size_t lines = 99;
  auto reader = green::spawn([&] { lines = read_all(spec).size(); });
  reader->join(10);  // a safety net only: the read takes microseconds
  REQUIRE(reader->ready());
  CHECK(lines == 0);
}

TEST_CASE("a pipe is read through the hub while other greenlets run") {
  green::Hub hub;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  InputSpec spec;
  spec.files = {"/dev/fd/" + std::to_string(fds[0])};
  std::vector<InputLine> lines;
  auto reader = green::spawn([&] { lines = read_all(spec); });
  green::sleep(0);  // the reader waits on the empty pipe; this greenlet goes on
  CHECK_FALSE(reader->ready());
  const std::string text = "http://a.example/1\nhttp://a.example/2\n";
  REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  reader->join(10);
  REQUIRE(reader->ready());
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].url == "http://a.example/2");
  ::close(fds[0]);
}

TEST_CASE("a byte order mark at the start of a file is skipped, CRLF endings trimmed") {
  std::string file = temp_file("\xEF\xBB\xBFhttp://a.example/1\r\nhttp://a.example/2\r\n");
  InputSpec spec;
  spec.files = {file};
  std::vector<InputLine> lines = read_all(spec);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].url == "http://a.example/1");
  CHECK(lines[0].error.empty());
  CHECK(lines[1].url == "http://a.example/2");
  ::unlink(file.c_str());
}

TEST_CASE("next_buffered gives what was read in, and never reads more") {
  green::Hub hub;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  InputSpec spec;
  spec.urls = {"http://arg.example/1", "http://arg.example/2"};
  spec.files = {"/dev/fd/" + std::to_string(fds[0])};
  UrlReader reader(spec);
  std::optional<InputLine> first = reader.next();
  REQUIRE(first);
  CHECK(first->url == "http://arg.example/1");
  // The other argument; the pipe is not opened yet, so nothing from it.
  std::optional<InputLine> second = reader.next_buffered();
  REQUIRE(second);
  CHECK(second->url == "http://arg.example/2");
  CHECK_FALSE(reader.next_buffered());

  const std::string text = "http://a.example/1\nhttp://a.example/2\n\nhttp://a.exa";
  REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  REQUIRE(reader.next()->url == "http://a.example/1");
  // The whole line left in the buffer, not the part-line after it.
  std::optional<InputLine> buffered = reader.next_buffered();
  REQUIRE(buffered);
  CHECK(buffered->url == "http://a.example/2");
  CHECK(buffered->where.line == 2);
  CHECK_FALSE(reader.next_buffered());

  // A reader killed while it waits for more leaves nothing half-read behind.
  auto waiting = green::spawn([&] { reader.next(); });
  green::sleep(0);
  REQUIRE_FALSE(waiting->ready());
  waiting->kill();
  CHECK_FALSE(reader.next_buffered());
  // The rest of the part-line arrives: the line is whole.
  const std::string rest = "mple/3\n";
  REQUIRE(::write(fds[1], rest.data(), rest.size()) == static_cast<ssize_t>(rest.size()));
  ::close(fds[1]);
  REQUIRE(reader.next()->url == "http://a.example/3");
  CHECK_FALSE(reader.next());
  ::close(fds[0]);
}
