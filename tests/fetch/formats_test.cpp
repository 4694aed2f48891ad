// Report formats, parsed back field by field: TSV columns, JSON Lines with every
// field, CSV with its header, the human table (units, colour on request only).
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "e2e/records.hpp"
#include "fetch/formats.hpp"
#include "fetch/result.hpp"

using gfetch::Format;
using gfetch::FormatOptions;
using gfetch::Result;

namespace {

Result sample() {
  Result r;
  r.index = 7;
  r.url = "http://example.com/a,b\"c";
  r.final_url = "http://example.com/final";
  r.status = 200;
  r.bytes = 1536;
  r.wire_bytes = 1700;
  r.time_total = 0.25;
  r.time_dns = 0.001;
  r.time_connect = 0.002;
  r.time_tls = 0;
  r.time_first_byte = 0.1;
  r.attempts = 2;
  r.redirects = 1;
  r.remote_ip = "127.0.0.1";
  r.http_version = "1.1";
  r.input = {gfetch::InputSource::intern("urls.txt"), 3};
  return r;
}

std::string render(const Result& r, Format format, bool colour = false) {
  FormatOptions options;
  options.format = format;
  options.colour = colour;
  auto formatter = gfetch::make_formatter(options);
  std::string out = formatter->header();
  formatter->format(r, out);
  return out;
}

}  // namespace

TEST_CASE("TSV: url status bytes seconds error, '-' for no error") {
  std::string line = render(sample(), Format::tsv);
  CHECK(line.back() == '\n');
  auto columns = records::split(line.substr(0, line.size() - 1), '\t');
  REQUIRE(columns.size() == 5);
  CHECK(columns[0] == "http://example.com/a,b\"c");
  CHECK(columns[1] == "200");
  CHECK(columns[2] == "1536");
  CHECK(columns[3] == "0.250");
  CHECK(columns[4] == "-");

  Result failed = sample();
  failed.status = 0;
  failed.error = "connect-refused";
  failed.url = "http://x/\ttab";
  columns = records::split(records::lines(render(failed, Format::tsv))[0], '\t');
  REQUIRE(columns.size() == 5);
  CHECK(columns[0] == "http://x/%09tab");
  CHECK(columns[4] == "connect-refused");
}

TEST_CASE("TSV: every control byte is encoded wherever it falls, UTF-8 is kept") {
  // The scan reads eight bytes at a time: put the byte at each place of two words
  // and of the tail, in URLs of several lengths.
  const std::string utf8 = "\xc3\xa9\xe2\x82\xac";  // é and €: bytes >= 0x80 stay
  for (char control : {'\x00', '\x01', '\t', '\n', '\x1f', '\x7f'}) {
    for (std::size_t length : {1u, 7u, 8u, 9u, 16u, 23u}) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string url(length, 'a');
        url[at] = control;
        Result r = sample();
        r.url = utf8 + url;
        std::string expected = utf8 + url.substr(0, at) + "%" +
                               "0123456789ABCDEF"[static_cast<unsigned char>(control) >> 4] +
                               "0123456789ABCDEF"[control & 15] + url.substr(at + 1);
        std::string line = render(r, Format::tsv);
        INFO("control " << int(control) << " at " << at << " of " << length);
        CHECK(line.substr(0, line.find('\t')) == expected);
      }
    }
  }
  Result r = sample();
  r.url = "http://h/" + utf8 + " ~";  // 0x20 and 0x7e are the edges that stay
  CHECK(render(r, Format::tsv).starts_with(r.url + "\t"));
}

TEST_CASE("TSV: the numbers at their widest") {
  Result r = sample();
  r.status = 599;
  r.bytes = UINT64_MAX;
  r.time_total = 123456789.9996;
  r.error = "x\ty";
  CHECK(render(r, Format::tsv) ==
        "http://example.com/a,b\"c\t599\t18446744073709551615\t123456790.000\tx%09y\n");
  r.status = 0;
  r.bytes = 0;
  r.time_total = 0;
  r.error.clear();
  CHECK(render(r, Format::tsv) == "http://example.com/a,b\"c\t0\t0\t0.000\t-\n");
}

TEST_CASE("TSV seconds: three decimals, as printf has them") {
  auto text = [](double seconds) {
    std::string out;
    gfetch::append_seconds_3(out, seconds);
    return out;
  };
  CHECK(text(0) == "0.000");
  CHECK(text(0.25) == "0.250");
  CHECK(text(0.0004) == "0.000");
  CHECK(text(0.0006) == "0.001");
  CHECK(text(1.9996) == "2.000");
  CHECK(text(59.999) == "59.999");
  CHECK(text(123456.789) == "123456.789");
  CHECK(text(-1.5) == "-1.500");  // not a time, but printed as printf would
  CHECK(text(1e20) == "100000000000000000000.000");
  // Away from exact ties the digits are printf's, over many magnitudes.
  char expected[64];
  for (double seconds = 1e-4; seconds < 1e7; seconds *= 1.0137) {
    std::snprintf(expected, sizeof expected, "%.3f", seconds);
    INFO(seconds);
    CHECK(text(seconds) == expected);
  }
}

TEST_CASE("JSON Lines: every field of the table, typed") {
  Result r = sample();
  r.error = "http-error";
  r.error_message = "line\nbreak \"quoted\" \x01";
  std::string line = render(r, Format::json);
  REQUIRE(records::lines(line).size() == 1);
  auto object = records::parse_json_object(records::lines(line)[0]);
  CHECK(object.size() == gfetch::fields().size());
  for (const gfetch::Field& field : gfetch::fields()) {
    INFO(field.name);
    REQUIRE(object.count(std::string(field.name)) == 1);
  }
  CHECK(object["url"] == r.url);
  CHECK(object["final_url"] == r.final_url);
  CHECK(object["status"] == "200");
  CHECK(object["bytes"] == "1536");
  CHECK(object["wire_bytes"] == "1700");
  CHECK(std::stod(object["time_total"]) == Approx(0.25));
  CHECK(std::stod(object["time_first_byte"]) == Approx(0.1));
  CHECK(object["attempts"] == "2");
  CHECK(object["redirects"] == "1");
  CHECK(object["remote_ip"] == "127.0.0.1");
  CHECK(object["http_version"] == "1.1");
  CHECK(object["error"] == "http-error");
  CHECK(object["error_message"] == r.error_message);
  CHECK(object["input"] == "urls.txt:3");
  CHECK(object["file"] == "");
  CHECK(object["index"] == "7");
}

TEST_CASE("CSV: a header row of field names, then quoted fields") {
  std::string text = render(sample(), Format::csv);
  auto rows = records::parse_csv(text);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].size() == gfetch::fields().size());
  REQUIRE(rows[1].size() == rows[0].size());
  for (std::size_t i = 0; i < rows[0].size(); ++i) {
    CHECK(rows[0][i] == gfetch::fields()[i].name);
    CHECK(rows[1][i] == gfetch::field_text(sample(), gfetch::fields()[i]));
  }
}

TEST_CASE("human: aligned columns with units, colour only when asked") {
  std::string plain = render(sample(), Format::human);
  CHECK(plain.find("\x1b[") == std::string::npos);
  CHECK(plain.rfind("200 ", 0) == 0);
  CHECK(plain.find("1.5 KiB") != std::string::npos);
  CHECK(plain.find("250 ms") != std::string::npos);
  CHECK(plain.find("(2 attempts)") != std::string::npos);
  Result other = sample();
  other.bytes = 5;
  other.url = "http://example.com/other";
  // The URL starts in the same column whatever the numbers.
  CHECK(plain.find("http://") == render(other, Format::human).find("http://"));
  std::string coloured = render(sample(), Format::human, true);
  CHECK(coloured.find("\x1b[32m200\x1b[0m") != std::string::npos);
}

TEST_CASE("human units") {
  CHECK(gfetch::human_bytes(0) == "0 B");
  CHECK(gfetch::human_bytes(1023) == "1023 B");
  CHECK(gfetch::human_bytes(1024) == "1.0 KiB");
  CHECK(gfetch::human_bytes(10.5 * 1024 * 1024) == "10.5 MiB");
  CHECK(gfetch::human_seconds(0.0005) == "500 us");
  CHECK(gfetch::human_seconds(0.012) == "12 ms");
  CHECK(gfetch::human_seconds(1.5) == "1.50 s");
  CHECK(gfetch::human_seconds(125) == "2m05s");
}

TEST_CASE("quoting helpers") {
  CHECK(gfetch::json_quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(gfetch::json_quote(std::string("\x1f", 1)) == "\"\\u001F\"");
  CHECK(gfetch::csv_quote("plain") == "plain");
  CHECK(gfetch::csv_quote("a,b") == "\"a,b\"");
  CHECK(gfetch::csv_quote("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(gfetch::tsv_clean("a\tb\nc") == "a%09b%0Ac");
}
