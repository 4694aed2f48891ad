// Header lookup shared by Request and Response.
#include "net/request.hpp"

namespace gfetch::net {

bool header_name_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const std::string* find_header(const Headers& headers, std::string_view name) noexcept {
  for (const Header& header : headers) {
    if (header_name_equals(header.name, name)) return &header.value;
  }
  return nullptr;
}

}  // namespace gfetch::net
