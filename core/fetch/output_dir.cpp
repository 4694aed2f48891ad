// Safe file naming and creation under -o DIR (see output_dir.hpp).
#include "fetch/output_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <system_error>

namespace gfetch {
namespace {

bool is_safe(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Splits NAME.EXT at a short trailing extension (".txt", ".html"), "" if none.
std::pair<std::string, std::string> split_extension(const std::string& name) {
  std::size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || name.size() - dot > 8) return {name, ""};
  return {name.substr(0, dot), name.substr(dot)};
}

}  // namespace

std::string safe_file_name(std::string_view url) {
  std::string_view rest = url;
  if (std::size_t sep = rest.find("://"); sep != std::string_view::npos)
    rest.remove_prefix(sep + 3);
  rest = rest.substr(0, rest.find('#'));
  std::size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view path = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);

  std::string raw(authority);
  raw += path;
  if (path.empty() || path == "/") raw += "_index";
  std::string name;
  for (unsigned char c : raw) {
    char mapped = is_safe(c) ? static_cast<char>(c) : '_';
    if (mapped == '_' && !name.empty() && name.back() == '_') continue;
    name += mapped;
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  // No leading dot: no ".", "..", or hidden files.
  for (char& c : name) {
    if (c != '.') break;
    c = '_';
  }
  if (name.empty()) name = "index";
  if (name.size() > kMaxName) {
    char hash[24];
    std::snprintf(hash, sizeof hash, "-%016zx", std::hash<std::string_view>{}(url));
    auto [stem, extension] = split_extension(name);
    stem.resize(kMaxName - extension.size() - std::strlen(hash) - 8);  // room for "-NNNNNN"
    name = stem + hash + extension;
  }
  return name;
}

OutputDir::OutputDir(std::string path) : path_(std::move(path)) {
  if (::mkdir(path_.c_str(), 0777) != 0 && errno != EEXIST) {
    throw std::runtime_error(path_ + ": " + std::strerror(errno));
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(path_ + ": " + std::strerror(errno));
}

OutputDir::~OutputDir() {
  if (fd_ >= 0) ::close(fd_);
}

OutputDir::File OutputDir::create(std::string_view url) {
  std::string base = safe_file_name(url);
  auto [stem, extension] = split_extension(base);
  for (unsigned n = 0; n < 1000000; ++n) {
    std::string name = n == 0 ? base : stem + "-" + std::to_string(n) + extension;
    int fd =
        ::openat(fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return File{fd, path_ + "/" + name};
    if (errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(), path_ + "/" + name);
    }
  }
  throw std::system_error(EEXIST, std::generic_category(), path_ + "/" + base);
}

}  // namespace gfetch
