// Compilation and rendering of -w/--write-out templates (see write_out.hpp).
#include "fetch/write_out.hpp"

namespace gfetch {

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
      const Field* field = find_field(name);
      if (!field) throw WriteOutError("unknown write-out variable '%{" + std::string(name) + "}'");
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
