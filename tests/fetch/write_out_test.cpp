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

TEST_CASE("unknown variables and unterminated braces are errors") {
  CHECK_THROWS_AS(WriteOut("%{nope}"), WriteOutError);
  CHECK_THROWS_WITH(WriteOut("x %{http_code} y"), Catch::Contains("%{http_code}"));
  CHECK_THROWS_WITH(WriteOut("%{url"), Catch::Contains("unterminated"));
  CHECK_THROWS_AS(WriteOut("%{}"), WriteOutError);
}
