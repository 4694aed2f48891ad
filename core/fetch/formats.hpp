// Report formats: how one Result becomes one line of stdout. TSV (fixed columns,
// for pipelines), human (aligned, units, colour, for terminals), JSON Lines and CSV
// (every field of the table in result.hpp), and -w templates (write_out.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fetch/result.hpp"

namespace gfetch {

class WriteOut;

enum class Format { tsv, human, json, csv, write_out };

// The TSV columns, in order (documented in gfetch(1), fixed across versions).
inline constexpr std::string_view kTsvColumns[] = {"url", "status", "bytes", "seconds", "error"};

class Formatter {
 public:
  virtual ~Formatter() = default;
  // Written once before the first result ("" for none): the CSV header row.
  virtual std::string header() const { return {}; }
  // Appends the result's record (ending with a newline, except for -w templates,
  // which write exactly what the template says).
  virtual void format(const Result& result, std::string& out) const = 0;
};

struct FormatOptions {
  Format format = Format::tsv;
  bool colour = false;                        // human: ANSI colours
  std::shared_ptr<const WriteOut> write_out;  // Format::write_out
};

std::unique_ptr<Formatter> make_formatter(const FormatOptions& options);

// Building blocks, exposed for tests and the summary.
std::string json_quote(std::string_view text);  // "..." with JSON escapes
std::string csv_quote(std::string_view text);   // RFC 4180 field
std::string tsv_clean(std::string_view text);   // tabs, newlines, controls -> %XX
std::string human_bytes(double bytes);          // "0 B", "512 B", "1.5 KiB", "12.0 MiB"
std::string human_seconds(double seconds);      // "850 us", "12 ms", "1.25 s", "2m05s"
// Appends seconds with three decimals ("%.3f") in integer arithmetic: std::to_chars
// of a double costs ~400 instructions, a third of a TSV line. Halves round up
// (printf rounds the binary value: the two can differ on an exact .0005 tie).
void append_seconds_3(std::string& out, double seconds);

}  // namespace gfetch
