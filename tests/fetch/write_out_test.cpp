// -w/--write-out templates: every field is a variable, escapes, and the errors
// that make a template a usage error.
#include <catch2/catch.hpp>
#include <string>

#include "fetch/write_out.hpp"

using gfetch::Result;
using gfetch::WriteOut;
using gfetch::WriteOutError;

namespace {

std::string render(const char* text, const Result& r) {
  std::string out;
  WriteOut(text).render(r, out);
  return out;
}

}  // namespace

TEST_CASE("the seeds' template") {
  Result r;
  r.url = "http://example.com/";
  r.bytes = 42;
  CHECK(render("%{bytes} bytes received from %{url}\\n", r) ==
        "42 bytes received from http://example.com/\n");
}

TEST_CASE("escapes for newline, tab, return and backslash, other text literal") {
  Result r;
  r.status = 404;
  CHECK(render("a\\tb\\r\\n\\\\%{status}%%", r) == "a\tb\r\n\\404%%");
  CHECK(render("100% sure \\q", r) == "100% sure \\q");
}

TEST_CASE("every field of the table is a variable") {
  Result r;
  r.url = "U";
  r.status = 201;
  r.time_total = 1.5;
  for (const gfetch::Field& field : gfetch::fields()) {
    std::string text = "%{" + std::string(field.name) + "}";
    INFO(text);
    std::string out;
    WriteOut(text).render(r, out);
    CHECK(out == gfetch::field_text(r, field));
  }
  CHECK(render("%{time_total}", r) == "1.500000");
  WriteOut all("%{url} %{status} %{url}");
  CHECK(all.variables() == std::vector<std::string_view>{"url", "status", "url"});
}

TEST_CASE("curl's names for the same fields work as they do in curl") {
  Result r;
  r.status = 404;
  r.final_url = "http://a.test/b";
  r.bytes = 7;
  r.redirects = 2;
  r.error_message = "oops";
  CHECK(render("%{http_code} %{response_code} %{url_effective} %{size_download} "
               "%{num_redirects} %{errormsg}",
               r) == "404 404 http://a.test/b 7 2 oops");
}

TEST_CASE("unknown variables and unterminated braces are errors") {
  CHECK_THROWS_AS(WriteOut("%{nope}"), WriteOutError);
  // The message names the variable and lists the known ones.
  CHECK_THROWS_WITH(WriteOut("x %{time_connectx} y"), Catch::Contains("'%{time_connectx}'") &&
                                                          Catch::Contains("final_url") &&
                                                          Catch::Contains("http_code"));
  CHECK_THROWS_WITH(WriteOut("%{url"), Catch::Contains("unterminated"));
  CHECK_THROWS_AS(WriteOut("%{}"), WriteOutError);
}
