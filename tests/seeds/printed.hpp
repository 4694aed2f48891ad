// What the seeds' examples print, captured: Printed collects lines the way Python's
// print() writes them (arguments joined by one space), so each test can assert the
// exact sequence a seed shows. Shared by the tests of tests/seeds/ only.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace seeds {

class Printed {
 public:
  // print(a, b, c) records "a b c".
  template <class... Args>
  void operator()(const Args&... args) {
    std::ostringstream line;
    bool first = true;
    ((line << (first ? "" : " ") << args, first = false), ...);
    lines.push_back(line.str());
  }

  // How many recorded lines equal `text`.
  std::size_t count(const std::string& text) const {
    std::size_t n = 0;
    for (const std::string& line : lines) n += line == text ? 1 : 0;
    return n;
  }

  std::vector<std::string> lines;
};

using Lines = std::vector<std::string>;

}  // namespace seeds
