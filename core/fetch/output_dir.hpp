// -o/--output-dir: saves bodies under one directory with names derived from the
// URL. A name is always one path component of [A-Za-z0-9._-] not starting with a
// dot, at most kMaxName bytes, created with O_EXCL|O_NOFOLLOW relative to the
// directory's fd: no URL can make gfetch write outside the directory (no "..",
// "%2e%2e", absolute path or symlink trick), and two URLs never share a file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gfetch {

inline constexpr std::size_t kMaxName = 200;

// The file name for a URL before collision handling: host, port, path and query
// with every other character replaced by '_' ("127.0.0.1_8080_bytes_100").
std::string safe_file_name(std::string_view url);

class OutputDir {
 public:
  // Opens DIR, creating it (one level) if missing. Throws std::runtime_error
  // naming the directory when it cannot.
  explicit OutputDir(std::string path);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  struct File {
    int fd = -1;       // open for writing; the caller closes it
    std::string path;  // DIR/NAME, as reported in results
  };
  // Creates a new, empty file for `url`: safe_file_name(url), or NAME-1.EXT,
  // NAME-2.EXT, ... when taken. Throws std::system_error when it cannot.
  File create(std::string_view url);
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace gfetch
