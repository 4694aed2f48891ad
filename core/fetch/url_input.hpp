// URL input: turns argument URLs, -i files and stdin into a stream of InputLines,
// read lazily chunk by chunk (memory does not grow with the input) and numbered
// FILE:LINE for messages. Blank lines and '#' comments are skipped, whitespace is
// trimmed, a URL without a scheme gets http:// (as curl does).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "fetch/result.hpp"
#include "net/url.hpp"

namespace gfetch {

// One input URL after normalisation.
struct InputLine {
  std::string url;                       // normalised (or, when invalid, the trimmed text as read)
  InputSource where;                     // where.label(): "urls.txt:12", "<stdin>:3", "<arg>:1"
  std::string error;                     // why the URL is invalid; "" when it is valid
  std::optional<net::UrlLayout> layout;  // url's, when canonical: not scanned again
};

// Normalises one line of input: trims it, adds http:// when there is no scheme and
// checks that the result is an http(s) URL with a host. Returns nullopt for blank
// lines and comments.
struct Normalised {
  std::string url;
  std::string error;                     // "" when valid
  std::optional<net::UrlLayout> layout;  // net::scan_url_layout(url), when it has one
};
std::optional<Normalised> normalise_url(std::string_view line);

// "host:port" of an http(s) URL (lower-case host, default port filled in): the key
// of --per-host limits. "" when the URL does not parse.
std::string host_key(std::string_view url);

// Where URLs come from. A source named "-" is stdin.
struct InputSpec {
  std::vector<std::string> urls;   // from the command line, in order
  std::vector<std::string> files;  // -i FILE..., in order, read after the URLs
  bool dedupe = false;             // drop URLs seen before (kept: a 64-bit hash each)
};

// Reads the sources in order. next() blocks only the calling greenlet: pipes and
// terminals are waited on through the hub, regular files are read directly.
class UrlReader {
 public:
  explicit UrlReader(InputSpec spec);
  ~UrlReader();
  UrlReader(const UrlReader&) = delete;
  UrlReader& operator=(const UrlReader&) = delete;

  // The next URL, or nullopt at the end of all sources. A source that cannot be
  // opened or read throws std::runtime_error naming it (a configuration error).
  std::optional<InputLine> next();
  // The next URL already read in, without reading more: the argument URLs left,
  // then the whole lines left in the current source's buffer. For a run that
  // stops early, so that every URL taken from the input gets a result.
  std::optional<InputLine> next_buffered();
  // Lines skipped as duplicates so far (--dedupe).
  std::size_t duplicates() const noexcept { return duplicates_; }

 private:
  bool open_next_file();
  std::optional<InputLine> next_line(bool may_read);
  // The next line of the current source, without its newline; valid until the
  // next call. Empty at the source's end, or (may_read false) when no whole line
  // is left in the buffer.
  std::optional<std::string_view> read_line(bool may_read);
  bool fill();

  InputSpec spec_;
  std::size_t next_arg_ = 0;
  std::size_t next_file_ = 0;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool pollable_ = false;  // pipe, socket or terminal: wait through the hub
  bool eof_ = false;
  const std::string* name_ = nullptr;  // current source's display name (interned)
  const std::string* argument_name_ = InputSource::intern("<arg>");
  std::size_t line_no_ = 0;
  std::string buffer_;
  std::size_t buffer_pos_ = 0;
  std::unordered_set<std::size_t> seen_;
  std::size_t duplicates_ = 0;
};

}  // namespace gfetch
