// Bodies of the HttpServer's text routes (see pages.hpp and README.md).
#include "support/pages.hpp"

#include <charconv>
#include <string>

namespace testing::detail {

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

const char* reason_phrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 418:
      return "I'm a teapot";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

std::string index_page() {
  return "gfetch test server (tests/support/README.md)\n"
         "/bytes/N /delay/MS /status/CODE /headers /gzip/N /drip?bytes=N&ms=M\n"
         "/redirect/N /relative-redirect/N /absolute-redirect/N /redirect-loop "
         "/redirect-to?url=URL\n"
         "/links/N/I /tree/N/F/I /private/X /outside/X /robots.txt\n"
         "/flaky?id=X&fail=K /stats /stats/reset\n";
}

std::string robots_txt() {
  return "# gfetch test server\n"
         "User-agent: *\n"
         "Disallow: /private/\n";
}

namespace {

// Link j of a site whose pages live under `prefix` ("/links/10/"), in one of
// three forms chosen by j % 3 so crawlers must resolve all of them.
void append_link(std::string& out, std::string_view prefix, std::uint64_t j,
                 std::string_view authority) {
  std::string number = std::to_string(j);
  out += "<li><a href=\"";
  switch (j % 3) {
    case 0:
      out.append(prefix).append(number);
      break;  // absolute path
    case 1:
      out += number;
      break;  // relative to the page's folder
    default:
      out.append("http://").append(authority).append(prefix).append(number);
      break;
  }
  out += "\">" + number + "</a></li>\n";
}

std::string page_head(std::string_view title) {
  std::string out = "<!DOCTYPE html>\n<html>\n<head><title>";
  out.append(title).append("</title></head>\n<body id=\"top\">\n<h1>");
  out.append(title).append("</h1>\n<ul>\n");
  return out;
}

// The same five off-site or non-page links on every page (see README.md).
void append_tail(std::string& out, std::uint64_t i) {
  std::string n = std::to_string(i);
  out += "</ul>\n<p>\n";
  out += "<a href=\"/private/" + n + "\">private</a>\n";
  out += "<a href=\"http://external.invalid/page/" + n + "\">external</a>\n";
  out += "<a href=\"/outside/" + n + "\">outside</a>\n";
  out += "<a href=\"#top\">top</a>\n";
  out += "<a href=\"mailto:nobody@example.invalid\">mail</a>\n";
  out += "</p>\n</body>\n</html>\n";
}

}  // namespace

std::string mesh_page(std::uint64_t n, std::uint64_t i, std::string_view authority) {
  std::string prefix = "/links/" + std::to_string(n) + "/";
  std::string out = page_head("links " + std::to_string(n) + "/" + std::to_string(i));
  for (std::uint64_t j = 0; j < n; ++j) append_link(out, prefix, j, authority);
  append_tail(out, i);
  return out;
}

std::string tree_page(std::uint64_t n, std::uint64_t fanout, std::uint64_t i,
                      std::string_view authority) {
  std::string prefix = "/tree/" + std::to_string(n) + "/" + std::to_string(fanout) + "/";
  std::string out = page_head("tree " + std::to_string(n) + "/" + std::to_string(fanout) + "/" +
                              std::to_string(i));
  if (i > 0) append_link(out, prefix, (i - 1) / fanout, authority);
  for (std::uint64_t k = 1; k <= fanout; ++k) {
    std::uint64_t child = i * fanout + k;
    if (child >= n) break;
    append_link(out, prefix, child, authority);
  }
  append_tail(out, i);
  return out;
}

}  // namespace testing::detail
