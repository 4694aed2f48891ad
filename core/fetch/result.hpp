// Result: what one URL gave — the record every report format, the -w template and
// the summary read. Field is the table of its named fields (the names of --json
// keys, --csv columns and -w %{variables}); there is exactly one such table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gfetch {

// Where a URL was read: its source's display name ("urls.txt", "<stdin>", "<arg>")
// and line (for "<arg>", the argument's position). Two words, so that the URL's
// way from the reader to its result moves no string and builds none.
struct InputSource {
  const std::string* name = nullptr;  // from intern(): lives as long as the process
  std::size_t line = 0;
  // "urls.txt:12", "<stdin>:3", "<arg>:1"; "" when unset.
  std::string label() const;
  // The one stored copy of `name` (sources are few: one per input file).
  static const std::string* intern(std::string_view name);
};

struct Result {
  std::size_t index = 0;         // admission order, 1-based (--keep-order sorts on it)
  std::string url;               // the URL as fetched (after trimming, scheme added)
  std::string final_url;         // after redirects ("" when no response)
  int status = 0;                // HTTP status of the last response; 0: none
  std::uint64_t bytes = 0;       // body bytes received (after content decoding)
  std::uint64_t wire_bytes = 0;  // bytes received on the wire (headers + body)
  double time_total = 0;         // seconds, start of the first attempt to the end of the last
  double time_dns = 0;           // seconds in name lookup (last attempt)
  double time_connect = 0;       // seconds to TCP connected (last attempt)
  double time_tls = 0;           // seconds to TLS established (last attempt; 0 for http)
  double time_first_byte = 0;    // seconds to the first response byte (last attempt)
  int attempts = 0;              // attempts made (1 + retries used); 0 when never started
  int redirects = 0;             // redirects followed
  std::string remote_ip;         // address of the last connection
  std::string http_version;      // "1.1", "2", ... ("" when no response)
  std::string error;             // error kind ("" when ok): "invalid-url", "cancelled", ...
  std::string error_message;     // a human sentence for the error ("" when ok)
  InputSource input;             // where the URL came from (input.label(): "urls.txt:12")
  std::string file;              // the saved body's path with -o ("" otherwise)

  // An HTTP response arrived (any status) and no transport error happened.
  bool responded() const noexcept { return error.empty() || error == "http-error"; }
  bool ok() const noexcept { return error.empty(); }
};

enum class FieldType { text, integer, seconds };

// One named field of Result. `text` renders it for text formats (seconds with six
// decimals, integers in decimal, text as is).
struct Field {
  std::string_view name;
  FieldType type;
  std::string_view help;  // one line, for --help of -w and the man page test
};

// Every field, in the order of --json keys and --csv columns.
std::span<const Field> fields() noexcept;
// The field called `name`, if any.
const Field* find_field(std::string_view name) noexcept;
// The field's value as text (see Field).
std::string field_text(const Result& result, const Field& field);
// Numeric fields only: the value as a number (integers exactly, seconds as is).
double field_number(const Result& result, const Field& field);

}  // namespace gfetch
