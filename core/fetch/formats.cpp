// The report formats of formats.hpp: TSV, human (aligned, coloured), JSON Lines
// and CSV. Each writes one record per Result; none keeps state between results.
#include "fetch/formats.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "fetch/write_out.hpp"

namespace gfetch {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// The length of `text`'s prefix without control bytes (< 0x20 and 0x7f): all of
// it, nearly always. Eight bytes at a time: in a word, a byte b < 0x20 makes
// (b - 0x20) & ~b have its high bit set (bytes >= 0x80 never do, and a borrow
// into the next byte comes only from a byte that is flagged itself); 0x7f is the
// same test on the word xor 0x7f..7f against 0x01..01.
std::size_t clean_prefix(std::string_view text) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101u;
  constexpr std::uint64_t kHigh = 0x8080808080808080u;
  std::size_t at = 0;
  for (; at + 8 <= text.size(); at += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + at, sizeof word);
    const std::uint64_t del = word ^ (kOnes * 0x7f);
    if ((((word - kOnes * 0x20) & ~word) | ((del - kOnes) & ~del)) & kHigh) break;
  }
  while (at < text.size() && static_cast<unsigned char>(text[at]) >= 0x20 && text[at] != 0x7f) {
    ++at;
  }
  return at;
}

// Appends `text` with control bytes percent-encoded (what tsv_clean returns).
void append_tsv_clean(std::string& out, std::string_view text) {
  const std::size_t clean = clean_prefix(text);
  out.append(text.data(), clean);  // all of it, nearly always
  if (clean < text.size()) out += tsv_clean(text.substr(clean));
}

// Writes `seconds` as append_seconds_3 appends it, at `at` with room for
// kSecondsRoom bytes; returns the end (`at` itself, nothing written, for a value
// beyond ~1e60 whose digits do not fit).
constexpr std::size_t kSecondsRoom = 64;
char* write_seconds_3(char* at, double seconds) noexcept {
  constexpr double kMax = 1e15;  // milliseconds stay exact in a uint64 far beyond this
  char* const end = at + kSecondsRoom;
  if (!(seconds >= 0 && seconds < kMax)) {  // negative, huge or NaN: as printf would
    auto [written, error] = std::to_chars(at, end, seconds, std::chars_format::fixed, 3);
    return error == std::errc{} ? written : at;  // nothing when it does not fit
  }
  const auto ms = static_cast<std::uint64_t>(seconds * 1000.0 + 0.5);
  at = std::to_chars(at, end, ms / 1000).ptr;
  const auto fraction = static_cast<unsigned>(ms % 1000);
  *at++ = '.';
  *at++ = static_cast<char>('0' + fraction / 100);
  *at++ = static_cast<char>('0' + fraction / 10 % 10);
  *at++ = static_cast<char>('0' + fraction % 10);
  return at;
}

}  // namespace

void append_seconds_3(std::string& out, double seconds) {
  char buffer[kSecondsRoom];
  out.append(buffer, write_seconds_3(buffer, seconds));
}

namespace {

// One line per URL: url, status, bytes, seconds, error ("-" when none). The format
// of pipelines (`awk -F'\t'`), so it is lean: no temporaries, no printf.
class TsvFormatter final : public Formatter {
 public:
  void format(const Result& r, std::string& out) const override {
    append_tsv_clean(out, r.url);
    // The three numbers and their tabs go through one buffer, one append: each
    // append to `out` checks its capacity.
    char numbers[3 + 11 + 20 + kSecondsRoom];  // tabs, an int, a uint64, the seconds
    char* at = numbers;
    *at++ = '\t';
    at = std::to_chars(at, at + 11, r.status).ptr;
    *at++ = '\t';
    at = std::to_chars(at, at + 20, r.bytes).ptr;
    *at++ = '\t';
    out.append(numbers, write_seconds_3(at, r.time_total));
    if (r.error.empty()) {
      out.append("\t-\n", 3);
    } else {
      out += '\t';
      append_tsv_clean(out, r.error);
      out += '\n';
    }
  }
};

class JsonFormatter final : public Formatter {
 public:
  void format(const Result& r, std::string& out) const override {
    out += '{';
    bool first = true;
    for (const Field& field : fields()) {
      if (!first) out += ',';
      first = false;
      out += '"';
      out += field.name;
      out += "\":";
      if (field.type == FieldType::text) {
        out += json_quote(field_text(r, field));
      } else {
        out += field_text(r, field);
      }
    }
    out += "}\n";
  }
};

class CsvFormatter final : public Formatter {
 public:
  std::string header() const override {
    std::string out;
    for (const Field& field : fields()) {
      if (!out.empty()) out += ',';
      out += field.name;
    }
    return out + "\r\n";
  }
  void format(const Result& r, std::string& out) const override {
    bool first = true;
    for (const Field& field : fields()) {
      if (!first) out += ',';
      first = false;
      out += csv_quote(field_text(r, field));
    }
    out += "\r\n";
  }
};

// Columns: status (3), size (10, right), time (8, right), URL, then the error.
class HumanFormatter final : public Formatter {
 public:
  explicit HumanFormatter(bool colour) : colour_(colour) {}
  void format(const Result& r, std::string& out) const override {
    std::string status = r.status ? std::to_string(r.status) : "---";
    const char* colour = status_colour(r);
    char head[64];
    std::snprintf(head, sizeof head, "%-3s %10s %8s  ", status.c_str(),
                  human_bytes(static_cast<double>(r.bytes)).c_str(),
                  human_seconds(r.time_total).c_str());
    if (colour_) out += colour;
    out.append(head, 3);
    if (colour_) out += "\x1b[0m";
    out += head + 3;
    out += tsv_clean(r.url);
    if (!r.error.empty()) {
      out += "  ";
      if (colour_) out += "\x1b[31m";
      out += r.error;
      if (!r.error_message.empty()) out += ": " + tsv_clean(r.error_message);
      if (colour_) out += "\x1b[0m";
    }
    if (r.attempts > 1) out += "  (" + std::to_string(r.attempts) + " attempts)";
    out += '\n';
  }

 private:
  static const char* status_colour(const Result& r) {
    if (!r.responded() || r.status >= 500) return "\x1b[31m";  // red
    if (r.status >= 400) return "\x1b[33m";                    // yellow
    if (r.status >= 300) return "\x1b[36m";                    // cyan
    return "\x1b[32m";                                         // green
  }
  bool colour_;
};

class WriteOutFormatter final : public Formatter {
 public:
  explicit WriteOutFormatter(std::shared_ptr<const WriteOut> write_out)
      : write_out_(std::move(write_out)) {}
  void format(const Result& r, std::string& out) const override { write_out_->render(r, out); }

 private:
  std::shared_ptr<const WriteOut> write_out_;
};

}  // namespace

std::unique_ptr<Formatter> make_formatter(const FormatOptions& options) {
  switch (options.format) {
    case Format::tsv:
      return std::make_unique<TsvFormatter>();
    case Format::human:
      return std::make_unique<HumanFormatter>(options.colour);
    case Format::json:
      return std::make_unique<JsonFormatter>();
    case Format::csv:
      return std::make_unique<CsvFormatter>();
    case Format::write_out:
      return std::make_unique<WriteOutFormatter>(options.write_out);
  }
  return std::make_unique<TsvFormatter>();
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string csv_quote(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string tsv_clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string human_bytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  char buffer[32];
  if (unit == 0) {
    std::snprintf(buffer, sizeof buffer, "%.0f B", bytes);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f %s", bytes, kUnits[unit]);
  }
  return buffer;
}

std::string human_seconds(double seconds) {
  char buffer[32];
  if (seconds < 0.001) {
    std::snprintf(buffer, sizeof buffer, "%.0f us", seconds * 1e6);
  } else if (seconds < 1) {
    std::snprintf(buffer, sizeof buffer, "%.0f ms", seconds * 1e3);
  } else if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.2f s", seconds);
  } else {
    long total = std::lround(seconds);
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", total / 60, total % 60);
  }
  return buffer;
}

}  // namespace gfetch
