// Test helpers that parse gfetch's output back: TSV lines, flat JSON objects (one
// JSON Lines record) and RFC 4180 CSV. Deliberately independent of the writers in
// core/fetch, so a test checks the format, not the code against itself.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace records {

inline std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = text.find(separator, start);
    out.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// Lines of `text` (without their '\n'; a final unterminated line counts).
inline std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out = split(text, '\n');
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// A flat JSON object: key -> value, strings unescaped, numbers as written.
// Throws std::runtime_error on anything else.
inline std::map<std::string, std::string> parse_json_object(std::string_view text) {
  std::size_t i = 0;
  auto fail = [&](const char* what) {
    throw std::runtime_error(std::string("JSON: ") + what + " at " + std::to_string(i) + " in " +
                             std::string(text));
  };
  auto skip = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto string = [&]() -> std::string {
    if (text[i] != '"') fail("expected a string");
    ++i;
    std::string out;
    while (i < text.size() && text[i] != '"') {
      char c = text[i++];
      if (c != '\\') {
        if (static_cast<unsigned char>(c) < 0x20) fail("raw control character");
        out += c;
        continue;
      }
      char e = text[i++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '/':
          out += '/';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case 'u': {
          unsigned value = std::stoul(std::string(text.substr(i, 4)), nullptr, 16);
          i += 4;
          if (value >= 0x80) fail("non-ASCII \\u escape not supported by the test parser");
          out += static_cast<char>(value);
          break;
        }
        default:
          fail("bad escape");
      }
    }
    if (i >= text.size()) fail("unterminated string");
    ++i;
    return out;
  };
  std::map<std::string, std::string> out;
  skip();
  if (i >= text.size() || text[i] != '{') fail("expected {");
  ++i;
  skip();
  if (i < text.size() && text[i] == '}') return out;
  for (;;) {
    skip();
    std::string key = string();
    skip();
    if (text[i] != ':') fail("expected :");
    ++i;
    skip();
    std::string value;
    if (text[i] == '"') {
      value = string();
    } else {
      std::size_t start = i;
      while (i < text.size() && text[i] != ',' && text[i] != '}') ++i;
      value = std::string(text.substr(start, i - start));
      if (value.empty() || value.find_first_not_of("-0123456789.eE+") != std::string::npos) {
        fail("expected a number");
      }
    }
    if (!out.emplace(key, value).second) fail("duplicate key");
    skip();
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text[i] == '}') {
      ++i;
      break;
    }
    fail("expected , or }");
  }
  skip();
  if (i != text.size()) fail("trailing text");
  return out;
}

// RFC 4180 CSV: records of fields; quoted fields may hold commas, quotes, newlines.
inline std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      record.push_back(std::move(field));
      field.clear();
      out.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
    }
  }
  if (quoted) throw std::runtime_error("CSV: unterminated quoted field");
  if (!field.empty() || !record.empty()) {
    record.push_back(std::move(field));
    out.push_back(std::move(record));
  }
  return out;
}

}  // namespace records
