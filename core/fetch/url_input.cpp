// URL input: normalisation of one line and the lazy, line-numbered reader over
// argument URLs, -i files and stdin (see url_input.hpp). URLs are checked, and
// host keys read, with net::parse_url; the fetch layer only splits off the scheme.
#include "fetch/url_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "green/io.hpp"
#include "net/url.hpp"

namespace gfetch {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kMaxLine = 1024 * 1024;  // longer lines are cut and reported invalid

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// What --dedupe compares: the URL as libcurl would request it (host in lower case,
// "." and ".." segments resolved), without the fragment, which is never sent.
std::string dedupe_key(const std::string& url) {
  std::optional<net::Url> parsed = net::parse_url(url);
  if (!parsed) return url;
  std::string key = std::move(parsed->href);
  if (std::size_t hash = key.find('#'); hash != std::string::npos) key.resize(hash);
  return key;
}

}  // namespace

std::optional<Normalised> normalise_url(std::string_view line) {
  std::string_view text = trim(line);
  if (text.empty() || text.front() == '#') return std::nullopt;
  Normalised out;
  out.url = std::string(text);  // kept as read when the URL is invalid
  // Nearly every line: a canonical lower-case http(s) URL, kept exactly as it is
  // (the canonical form has no whitespace or control bytes: checked first, once).
  if (text.starts_with("http://") || text.starts_with("https://")) {
    out.layout = net::scan_url_layout(text);
    if (out.layout) return out;
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c == ' ') {
      out.error = "contains whitespace or control characters";
      return out;
    }
  }
  std::size_t sep = text.find("://");
  bool has_scheme = sep != std::string_view::npos && sep > 0 &&
                    text.substr(0, sep).find_first_of("/?#@") == std::string_view::npos;
  std::string scheme = has_scheme ? lower(text.substr(0, sep)) : "http";
  std::string_view rest = has_scheme ? text.substr(sep + 3) : text;
  if (scheme != "http" && scheme != "https") {
    out.error = "unsupported scheme '" + scheme + "' (only http and https)";
    return out;
  }
  // libcurl reads "http:///x" as "http://x/": a third slash is more likely a typo.
  if (!rest.empty() && rest.front() == '/') {
    out.error = "no host (a third '/' after the scheme)";
    return out;
  }
  // The scheme lower-cased, so that "HTTP://x" and "http://x" are one URL for
  // --dedupe; the rest stays as the user wrote it (output lines show it).
  std::string url = scheme + "://" + std::string(rest);
  std::string why;
  std::optional<net::Url> parsed = net::parse_url(url, &why);
  if (!parsed) {
    out.error = why;
    return out;
  }
  if (parsed->port == 0) {  // libcurl takes it; no server listens there
    out.error = "bad port 0 (must be 1 to 65535)";
    return out;
  }
  out.url = std::move(url);
  return out;
}

std::string host_key(std::string_view url) {
  std::optional<net::Url> parsed = net::parse_url(url);
  if (!parsed) return "";
  if (parsed->host.find(':') != std::string::npos) {
    return "[" + parsed->host + "]:" + std::to_string(parsed->port);
  }
  return parsed->host + ":" + std::to_string(parsed->port);
}

UrlReader::UrlReader(InputSpec spec) : spec_(std::move(spec)) {}

UrlReader::~UrlReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

bool UrlReader::open_next_file() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  owns_fd_ = false;
  if (next_file_ >= spec_.files.size()) return false;
  const std::string& path = spec_.files[next_file_++];
  if (path == "-") {
    fd_ = STDIN_FILENO;
    name_ = InputSource::intern("<stdin>");
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    owns_fd_ = true;
    name_ = InputSource::intern(path);
  }
  // Pipes, sockets and terminals are waited for through the hub. Files are always
  // ready, and other character devices (/dev/null: `gfetch < /dev/null` in cron
  // jobs) cannot be polled at all: epoll refuses them, and a wait would never end.
  struct stat info {};
  const bool known = ::fstat(fd_, &info) == 0;
  pollable_ = known && (S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode) ||
                        (S_ISCHR(info.st_mode) && ::isatty(fd_) == 1));
  eof_ = false;
  line_no_ = 0;
  buffer_.clear();
  buffer_pos_ = 0;
  return true;
}

// Appends one chunk to the buffer; false at end of file.
bool UrlReader::fill() {
  if (eof_) return false;
  if (buffer_pos_ > 0) {
    buffer_.erase(0, buffer_pos_);
    buffer_pos_ = 0;
  }
  const std::size_t old_size = buffer_.size();
  for (;;) {
    // Waits before growing the buffer: a reader killed while it waits (the run
    // stopped) leaves only whole data behind, for next_buffered.
    if (pollable_) green::wait_readable(fd_);
    buffer_.resize(old_size + kChunk);
    ssize_t n = ::read(fd_, buffer_.data() + old_size, kChunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      buffer_.resize(old_size);
      continue;
    }
    if (n < 0) {
      int error = errno;
      buffer_.resize(old_size);
      throw std::runtime_error(*name_ + ": " + std::strerror(error));
    }
    buffer_.resize(old_size + static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    return n > 0;
  }
}

std::optional<std::string_view> UrlReader::read_line(bool may_read) {
  for (;;) {
    std::string_view rest = std::string_view(buffer_).substr(buffer_pos_);
    std::size_t newline = rest.find('\n');
    if (newline != std::string_view::npos) {
      buffer_pos_ += newline + 1;
      ++line_no_;
      return rest.substr(0, newline);
    }
    // A runaway line is handed back as it is (the URL check rejects it).
    const bool runaway = rest.size() > kMaxLine;
    if (!runaway && !eof_ && !may_read) return std::nullopt;  // a line not all read yet
    if (!runaway && fill()) continue;  // fill() may move the buffer: look again
    if (buffer_pos_ >= buffer_.size()) return std::nullopt;
    // The runaway line, or the last line, which has no newline.
    rest = std::string_view(buffer_).substr(buffer_pos_);
    buffer_pos_ = buffer_.size();
    ++line_no_;
    return rest;
  }
}

std::optional<InputLine> UrlReader::next() {
  return next_line(true);
}

std::optional<InputLine> UrlReader::next_buffered() {
  return next_line(false);
}

std::optional<InputLine> UrlReader::next_line(bool may_read) {
  for (;;) {
    std::string_view text;
    bool from_argument = next_arg_ < spec_.urls.size();
    if (from_argument) {
      text = spec_.urls[next_arg_++];
    } else {
      std::optional<std::string_view> line = fd_ >= 0 ? read_line(may_read) : std::nullopt;
      if (!line) {
        if (!may_read || !open_next_file()) return std::nullopt;
        continue;
      }
      text = *line;  // valid until the next read_line
      // A byte order mark (lists saved by Windows editors) is not part of the URL.
      if (line_no_ == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    }
    std::optional<Normalised> normalised = normalise_url(text);
    if (!normalised) continue;
    if (spec_.dedupe && normalised->error.empty() &&
        !seen_.insert(std::hash<std::string>{}(dedupe_key(normalised->url))).second) {
      ++duplicates_;
      continue;
    }
    const InputSource where{from_argument ? argument_name_ : name_,
                            from_argument ? next_arg_ : line_no_};
    // Built in the returned optional: an InputLine moved is two strings moved.
    return std::optional<InputLine>(std::in_place, std::move(normalised->url), where,
                                    std::move(normalised->error), normalised->layout);
  }
}

}  // namespace gfetch
