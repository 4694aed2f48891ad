// -w/--write-out templates, curl style: text with %{name} variables (any field of
// result.hpp, or curl's name for one: http_code, url_effective, ...) and the
// escapes \n \t \r \\. Compiled once, before anything is
// fetched, so a bad template is a usage error and not a failure per URL.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/result.hpp"

namespace gfetch {

// A template that does not compile: an unknown %{variable} or an unterminated %{.
class WriteOutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WriteOut {
 public:
  // Throws WriteOutError naming the offending variable.
  explicit WriteOut(std::string_view text);
  // Appends the template with every variable replaced by the result's field.
  void render(const Result& result, std::string& out) const;
  // The variables used, in order of appearance.
  std::vector<std::string_view> variables() const;

 private:
  struct Piece {
    std::string literal;  // used when field == nullptr
    const Field* field = nullptr;
  };
  std::vector<Piece> pieces_;
};

}  // namespace gfetch
