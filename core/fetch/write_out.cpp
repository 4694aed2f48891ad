// Compilation and rendering of -w/--write-out templates (see write_out.hpp).
#include "fetch/write_out.hpp"

namespace gfetch {
namespace {

// curl's -w names for fields that mean the same here, so that a curl user's
// template works as it is. (curl's time_* are cumulative from the start, gfetch's
// are phases: not aliased.)
struct CurlName {
  std::string_view curl;
  std::string_view field;
};
constexpr CurlName kCurlNames[] = {
    {"http_code", "status"},    {"response_code", "status"},    {"url_effective", "final_url"},
    {"size_download", "bytes"}, {"num_redirects", "redirects"}, {"errormsg", "error_message"},
};

const Field* find_variable(std::string_view name) {
  if (const Field* field = find_field(name)) return field;
  for (const CurlName& alias : kCurlNames) {
    if (alias.curl == name) return find_field(alias.field);
  }
  return nullptr;
}

std::string unknown_variable(std::string_view name) {
  std::string message = "unknown write-out variable '%{" + std::string(name) + "}' (known:";
  const char* separator = " ";
  for (const Field& field : fields()) {
    message.append(separator).append(field.name);
    separator = ", ";
  }
  message += "; and curl's";
  separator = " ";
  for (const CurlName& alias : kCurlNames) {
    message.append(separator).append(alias.curl);
    separator = ", ";
  }
  return message + ")";
}

}  // namespace

WriteOut::WriteOut(std::string_view text) {
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) pieces_.push_back(Piece{std::move(literal), nullptr});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      char next = text[i + 1];
      if (next == 'n' || next == 't' || next == 'r' || next == '\\') {
        literal += next == 'n' ? '\n' : next == 't' ? '\t' : next == 'r' ? '\r' : '\\';
        ++i;
        continue;
      }
    }
    if (c == '%' && i + 1 < text.size() && text[i + 1] == '{') {
      std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        throw WriteOutError("unterminated '%{' in write-out template");
      }
      std::string_view name = text.substr(i + 2, close - i - 2);
      const Field* field = find_variable(name);
      if (!field) throw WriteOutError(unknown_variable(name));
      flush();
      pieces_.push_back(Piece{{}, field});
      i = close;
      continue;
    }
    literal += c;
  }
  flush();
}

void WriteOut::render(const Result& result, std::string& out) const {
  for (const Piece& piece : pieces_) {
    if (piece.field) {
      out += field_text(result, *piece.field);
    } else {
      out += piece.literal;
    }
  }
}

std::vector<std::string_view> WriteOut::variables() const {
  std::vector<std::string_view> out;
  for (const Piece& piece : pieces_) {
    if (piece.field) out.push_back(piece.field->name);
  }
  return out;
}

}  // namespace gfetch
