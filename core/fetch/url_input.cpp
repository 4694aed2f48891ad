// URL input: normalisation of one line and the lazy, line-numbered reader over
// argument URLs, -i files and stdin (see url_input.hpp).
#include "fetch/url_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "green/io.hpp"

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

struct Authority {
  std::string scheme;  // lower case
  std::string host;    // lower case, IPv6 without brackets
  unsigned port = 0;   // default filled in
  std::string error;   // "" when it parsed
};

bool is_host_char(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

// Parses "scheme://[user@]host[:port]..." far enough to name the host and port.
Authority parse_authority(std::string_view url) {
  Authority out;
  std::size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    out.error = "no scheme";
    return out;
  }
  out.scheme = lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    out.error = "unsupported scheme '" + out.scheme + "'";
    return out;
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      out.error = "unterminated IPv6 address";
      return out;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      out.error = "bad character after IPv6 address";
      return out;
    }
    if (!after.empty()) port = after.substr(1);
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != host.npos) {
      out.error = "bad IPv6 address";
      return out;
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    for (unsigned char c : host) {
      if (!is_host_char(c)) {
        out.error = "bad character in host";
        return out;
      }
    }
  } else {
    for (unsigned char c : host) {
      if (!is_host_char(c)) {
        out.error = "bad character in host";
        return out;
      }
    }
  }
  if (host.empty()) {
    out.error = "no host";
    return out;
  }
  out.host = lower(host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != port.npos ||
        std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535) {
      out.error = "bad port '" + std::string(port) + "'";
      return out;
    }
    out.port = static_cast<unsigned>(std::stoul(std::string(port)));
  }
  return out;
}

}  // namespace

std::optional<Normalised> normalise_url(std::string_view line) {
  std::string_view text = trim(line);
  if (text.empty() || text.front() == '#') return std::nullopt;
  Normalised out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c == ' ') {
      out.url = std::string(text);
      out.error = "contains whitespace or control characters";
      return out;
    }
  }
  std::size_t sep = text.find("://");
  bool has_scheme = sep != std::string_view::npos && sep > 0 &&
                    text.substr(0, sep).find_first_of("/?#@") == std::string_view::npos;
  out.url = has_scheme ? std::string(text) : "http://" + std::string(text);
  Authority authority = parse_authority(out.url);
  if (!authority.error.empty()) {
    out.error = authority.error;
    if (!has_scheme) out.url = std::string(text);
    return out;
  }
  // Lower-case the scheme so that "HTTP://x" and "http://x" are one URL for --dedupe.
  for (std::size_t i = 0; i < authority.scheme.size(); ++i) out.url[i] = authority.scheme[i];
  return out;
}

std::string host_key(std::string_view url) {
  Authority authority = parse_authority(url);
  if (!authority.error.empty()) return "";
  if (authority.host.find(':') != std::string::npos) {
    return "[" + authority.host + "]:" + std::to_string(authority.port);
  }
  return authority.host + ":" + std::to_string(authority.port);
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
    name_ = "<stdin>";
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    owns_fd_ = true;
    name_ = path;
  }
  struct stat info {};
  pollable_ = ::fstat(fd_, &info) == 0 && !S_ISREG(info.st_mode) && !S_ISBLK(info.st_mode);
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
  std::size_t old_size = buffer_.size();
  buffer_.resize(old_size + kChunk);
  for (;;) {
    if (pollable_) green::wait_readable(fd_);
    ssize_t n = ::read(fd_, buffer_.data() + old_size, kChunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      int error = errno;
      buffer_.resize(old_size);
      throw std::runtime_error(name_ + ": " + std::strerror(error));
    }
    buffer_.resize(old_size + static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    return n > 0;
  }
}

std::optional<std::string> UrlReader::read_line() {
  for (;;) {
    std::size_t newline = buffer_.find('\n', buffer_pos_);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(buffer_pos_, newline - buffer_pos_);
      buffer_pos_ = newline + 1;
      ++line_no_;
      return line;
    }
    if (buffer_.size() - buffer_pos_ > kMaxLine) {
      // A runaway line: hand back what we have; the URL check rejects it.
      std::string line = buffer_.substr(buffer_pos_);
      buffer_pos_ = buffer_.size();
      ++line_no_;
      return line;
    }
    if (!fill()) {
      if (buffer_pos_ < buffer_.size()) {
        std::string line = buffer_.substr(buffer_pos_);
        buffer_pos_ = buffer_.size();
        ++line_no_;
        return line;
      }
      return std::nullopt;
    }
  }
}

std::optional<InputLine> UrlReader::next() {
  for (;;) {
    std::string text;
    std::string where;
    if (next_arg_ < spec_.urls.size()) {
      text = spec_.urls[next_arg_++];
      where = "<arg>:" + std::to_string(next_arg_);
    } else {
      std::optional<std::string> line = fd_ >= 0 ? read_line() : std::nullopt;
      if (!line) {
        if (!open_next_file()) return std::nullopt;
        continue;
      }
      text = std::move(*line);
      where = name_ + ":" + std::to_string(line_no_);
    }
    std::optional<Normalised> normalised = normalise_url(text);
    if (!normalised) continue;
    if (spec_.dedupe && normalised->error.empty() &&
        !seen_.insert(std::hash<std::string>{}(normalised->url)).second) {
      ++duplicates_;
      continue;
    }
    return InputLine{std::move(normalised->url), std::move(where), std::move(normalised->error)};
  }
}

}  // namespace gfetch
