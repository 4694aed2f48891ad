// The option table of option_table.hpp, with each option's value check. Order
// here is the order of --help and of the man page's OPTIONS section.
#include "cmd/option_table.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cmd/values.hpp"

namespace gfetch::cli {
namespace {

using S = Settings;
using V = const std::string&;

// Stores a parsed value into its field, or returns why it did not parse.
template <class T, class Target>
std::string store(const Parsed<T>& parsed, Target& target) {
  if (!parsed.ok()) return parsed.why();
  target = static_cast<Target>(parsed.get());
  return "";
}

template <class T, class Target>
std::string store(const Parsed<T>& parsed, std::optional<Target>& target) {
  if (!parsed.ok()) return parsed.why();
  target = static_cast<Target>(parsed.get());
  return "";
}

// The text of `value`, or of the file it names after a leading '@' ("@-": stdin).
bool text_or_file(const std::string& value, std::string& out) {
  if (value.empty() || value.front() != '@') {
    out = value;
    return true;
  }
  std::string path = value.substr(1);
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  out.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return !file.bad();
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) !=
            std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string check_header(V value) {
  // "Name: value"; "Name;" (sent empty) and "Name:" (not sent), as with curl.
  std::size_t colon = value.find(':');
  const bool empty_form = colon == std::string::npos && value.size() > 1 && value.back() == ';';
  if (empty_form) colon = value.size() - 1;
  if (colon == std::string::npos || !is_token(value.substr(0, colon))) {
    return "expected 'Name: value' ('Name;' sends it empty, 'Name:' removes it)";
  }
  if (value.find_first_of("\r\n") != std::string::npos) return "a header cannot span lines";
  return "";
}

std::string check_resolve(V value) {
  // HOST:PORT:ADDR, ADDR possibly a bracketed or bare IPv6 address.
  std::size_t first = value.find(':');
  std::size_t second = first == std::string::npos ? first : value.find(':', first + 1);
  if (first == 0 || second == std::string::npos || second + 1 >= value.size() ||
      !parse_count(std::string_view(value).substr(first + 1, second - first - 1), 1, 65535).ok()) {
    return "expected HOST:PORT:ADDRESS, such as example.com:443:127.0.0.1";
  }
  return "";
}

std::string check_readable_file(V value) {
  if (::access(value.c_str(), R_OK) != 0) return "cannot read the file";
  return "";
}

std::string check_output_dir(V value) {
  struct stat info {};
  if (value.empty()) return "expected a directory";
  if (::stat(value.c_str(), &info) == 0 && !S_ISDIR(info.st_mode)) return "not a directory";
  return "";
}

const std::array kTable = {
    // ---- input
    OptionSpec{"-i,--input", "FILE", "read URLs from FILE, one per line ('-': stdin); repeatable",
               Complete::file, "", true,
               [](S& s, V v) -> std::string {
                 s.options.input.files.push_back(v);
                 return v == "-" || v.empty() ? (v.empty() ? "expected a file name" : "")
                                              : check_readable_file(v);
               }},
    OptionSpec{"--dedupe", "", "fetch each distinct URL once", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.options.input.dedupe = true;
                 return "";
               }},
    // ---- concurrency and pacing
    OptionSpec{"-p,--pool", "N", "fetch at most N URLs at once (default 50)", Complete::none, "",
               false,
               [](S& s, V v) { return store(parse_count(v, 1, 100000), s.options.pool); }},
    OptionSpec{"--per-host", "N", "at most N fetches at once per host:port", Complete::none, "",
               false,
               [](S& s, V v) { return store(parse_count(v, 1, 100000), s.options.per_host); }},
    OptionSpec{"--rate", "N[/s|/m|/h]", "start at most N requests per second (minute, hour)",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_rate(v), s.options.rate); }},
    // ---- timeouts and retries
    OptionSpec{"-t,--timeout", "SEC", "limit each attempt to SEC seconds (default 30)",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_seconds(v), s.options.timing.timeout); }},
    OptionSpec{"--connect-timeout", "SEC", "limit connecting to SEC seconds (default 10)",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_seconds(v), s.options.timing.connect_timeout); }},
    OptionSpec{"--dns-timeout", "SEC", "limit each name lookup to SEC seconds", Complete::none, "",
               false,
               [](S& s, V v) { return store(parse_seconds(v), s.options.timing.dns_timeout); }},
    OptionSpec{"--stall-timeout", "SEC", "fail a transfer that receives nothing for SEC seconds",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_seconds(v), s.options.timing.stall_timeout); }},
    OptionSpec{"--deadline", "SEC", "end the whole run after SEC seconds", Complete::none, "",
               false,
               [](S& s, V v) { return store(parse_seconds(v), s.options.timing.deadline); }},
    OptionSpec{"--retries", "N", "retry failed attempts up to N times (default 0)",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_count(v, 0, 100), s.options.timing.retries); }},
    OptionSpec{"--retry-delay", "SEC", "base of the exponential retry backoff (default 1)",
               Complete::none, "", false,
               [](S& s, V v) {
                 return store(parse_seconds(v, false), s.options.timing.retry_delay);
               }},
    OptionSpec{"--retry-max-delay", "SEC", "longest wait before a retry, Retry-After included "
                                           "(default 30)",
               Complete::none, "", false,
               [](S& s, V v) {
                 return store(parse_seconds(v, false), s.options.timing.retry_max_delay);
               }},
    // ---- HTTP
    OptionSpec{"-X,--request", "METHOD", "HTTP method (default GET)", Complete::choice,
               "GET HEAD POST PUT DELETE PATCH OPTIONS", false,
               [](S& s, V v) -> std::string {
                 if (!is_token(v)) return "expected an HTTP method such as GET or POST";
                 s.options.http.method = v;
                 return "";
               }},
    OptionSpec{"-H,--header", "'NAME: VALUE'", "add a request header; repeatable", Complete::none,
               "", true,
               [](S& s, V v) {
                 s.options.http.headers.push_back(v);
                 return check_header(v);
               }},
    OptionSpec{"-A,--user-agent", "STRING", "User-Agent header (default gfetch/VERSION)",
               Complete::none, "", false,
               [](S& s, V v) -> std::string {
                 if (v.find_first_of("\r\n") != std::string::npos) return "cannot span lines";
                 s.options.http.user_agent = v;
                 return "";
               }},
    OptionSpec{"-d,--data", "DATA", "send DATA as the request body ('@FILE': a file's content)",
               Complete::file, "", false,
               [](S& s, V v) -> std::string {
                 std::string body;
                 if (!text_or_file(v, body)) return "cannot read the file";
                 s.options.http.data = std::move(body);
                 return "";
               }},
    OptionSpec{"-L,--location", "", "follow redirects (the default)", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.options.http.follow = true;
                 return "";
               }},
    OptionSpec{"--no-location", "", "do not follow redirects", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.options.http.follow = false;
                 return "";
               }},
    OptionSpec{"--max-redirs", "N", "follow at most N redirects (default 10)", Complete::none, "",
               false,
               [](S& s, V v) {
                 return store(parse_count(v, 0, 1000), s.options.http.max_redirects);
               }},
    OptionSpec{"-k,--insecure", "", "do not verify TLS certificates", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.options.http.insecure = true;
                 return "";
               }},
    OptionSpec{"--cacert", "FILE", "verify TLS peers against the CA bundle in FILE",
               Complete::file, "", false,
               [](S& s, V v) {
                 s.options.http.ca_file = v;
                 return check_readable_file(v);
               }},
    OptionSpec{"-x,--proxy", "URL", "use this proxy (\"\" for none)", Complete::none, "", false,
               [](S& s, V v) -> std::string {
                 s.options.http.proxy = v;
                 return "";
               }},
    OptionSpec{"--http1.1", "", "use HTTP/1.1 only", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.options.http.version = HttpVersionChoice::http1_1;
                 return "";
               }},
    OptionSpec{"--http2", "", "use HTTP/2 (h2 over TLS, h2c upgrade over http)", Complete::none,
               "", false,
               [](S& s, V) -> std::string {
                 s.options.http.version = HttpVersionChoice::http2;
                 return "";
               }},
    OptionSpec{"--compressed", "", "ask for a compressed body and decode it", Complete::none, "",
               false,
               [](S& s, V) -> std::string {
                 s.options.http.compressed = true;
                 return "";
               }},
    OptionSpec{"--resolve", "HOST:PORT:ADDR", "connect to ADDR for HOST:PORT; repeatable",
               Complete::none, "", true,
               [](S& s, V v) {
                 s.options.http.resolve.push_back(v);
                 return check_resolve(v);
               }},
    OptionSpec{"--dns-servers", "LIST", "comma-separated DNS servers (ADDR or ADDR:PORT)",
               Complete::none, "", false,
               [](S& s, V v) -> std::string {
                 s.options.http.dns_servers.clear();
                 std::size_t start = 0;
                 while (start <= v.size()) {
                   std::size_t comma = std::min(v.find(',', start), v.size());
                   std::string server = v.substr(start, comma - start);
                   if (server.empty() ||
                       server.find_first_not_of("0123456789abcdefABCDEF.:[]") != server.npos) {
                     return "expected a comma-separated list of IP addresses";
                   }
                   s.options.http.dns_servers.push_back(server);
                   start = comma + 1;
                 }
                 return "";
               }},
    OptionSpec{"--max-filesize", "BYTES", "fail a body larger than BYTES (k, M, G suffixes)",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_bytes(v), s.options.http.max_filesize); }},
    OptionSpec{"--fail", "", "count HTTP status 400 and above as a failure", Complete::none, "",
               false,
               [](S& s, V) -> std::string {
                 s.options.http.fail = true;
                 return "";
               }},
    // ---- output
    OptionSpec{"--json", "", "write results as JSON Lines, every field", Complete::none, "",
               false,
               [](S& s, V) -> std::string {
                 s.json = true;
                 return "";
               }},
    OptionSpec{"--csv", "", "write results as CSV with a header row, every field",
               Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.csv = true;
                 return "";
               }},
    OptionSpec{"-w,--write-out", "TEMPLATE",
               "write TEMPLATE per result: %{field} variables, \\n \\t escapes ('@FILE')",
               Complete::none, "", false,
               [](S& s, V v) -> std::string {
                 std::string text;
                 if (!text_or_file(v, text)) return "cannot read the file";
                 try {
                   s.write_out = std::make_shared<const WriteOut>(text);
                 } catch (const WriteOutError& error) {
                   return error.what();
                 }
                 return "";
               }},
    OptionSpec{"--keep-order", "", "write results in input order, not completion order",
               Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.options.output.keep_order = true;
                 return "";
               }},
    OptionSpec{"-o,--output-dir", "DIR", "save bodies in DIR under names made from the URLs",
               Complete::directory, "", false,
               [](S& s, V v) {
                 s.options.output.output_dir = v;
                 return check_output_dir(v);
               }},
    OptionSpec{"--color", "", "colour the terminal report even when not detected",
               Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.colour = true;
                 return "";
               }},
    OptionSpec{"--no-color", "", "no colour (as does the NO_COLOR variable)", Complete::none, "",
               false,
               [](S& s, V) -> std::string {
                 s.colour = false;
                 return "";
               }},
    OptionSpec{"--progress", "", "show progress on stderr even when it is not a terminal",
               Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.progress = true;
                 return "";
               }},
    OptionSpec{"--no-progress", "", "never show progress", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.progress = false;
                 return "";
               }},
    OptionSpec{"--no-summary", "", "no summary on stderr at the end", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.no_summary = true;
                 return "";
               }},
    OptionSpec{"-q,--quiet", "", "nothing on stderr but fatal errors: no progress, summary or "
                                 "per-URL messages",
               Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.quiet = true;
                 return "";
               }},
    // ---- signals
    OptionSpec{"--grace", "SEC", "after Ctrl-C, let fetches in flight finish for SEC seconds "
                                 "(default 5)",
               Complete::none, "", false,
               [](S& s, V v) { return store(parse_seconds(v, false), s.options.timing.grace); }},
    // ---- about
    OptionSpec{"-h,--help", "", "show this help and exit", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.help = true;
                 return "";
               }},
    OptionSpec{"-V,--version", "", "show the version and exit", Complete::none, "", false,
               [](S& s, V) -> std::string {
                 s.version = true;
                 return "";
               }},
};

}  // namespace

std::string_view OptionSpec::long_name() const {
  std::size_t at = names.find("--");
  return at == std::string_view::npos ? std::string_view() : names.substr(at);
}

std::string_view OptionSpec::short_name() const {
  if (names.size() >= 2 && names[0] == '-' && names[1] != '-') return names.substr(0, 2);
  return {};
}

std::span<const OptionSpec> option_table() noexcept {
  return kTable;
}

}  // namespace gfetch::cli
