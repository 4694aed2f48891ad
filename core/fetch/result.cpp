// The field table of Result: names, types and accessors, shared by the JSON, CSV
// and template writers so that a field added here appears in all of them.
#include "fetch/result.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

namespace gfetch {
namespace {

struct Entry {
  Field field;
  std::string (*text)(const Result&);
  double (*number)(const Result&);
};

std::string seconds_text(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", seconds);
  return buffer;
}

#define GFETCH_TEXT(member, help)                                                            \
  Entry {                                                                                    \
    {#member, FieldType::text, help}, [](const Result& r) { return std::string(r.member); }, \
        nullptr                                                                              \
  }
#define GFETCH_INTEGER(member, help)                                                               \
  Entry {                                                                                          \
    {#member, FieldType::integer, help}, [](const Result& r) { return std::to_string(r.member); }, \
        [](const Result& r) { return static_cast<double>(r.member); }                              \
  }
#define GFETCH_SECONDS(member, help)                                                             \
  Entry {                                                                                        \
    {#member, FieldType::seconds, help}, [](const Result& r) { return seconds_text(r.member); }, \
        [](const Result& r) { return r.member; }                                                 \
  }

const std::array kEntries = {
    GFETCH_INTEGER(index, "admission order of the URL, from 1"),
    GFETCH_TEXT(url, "the URL fetched"),
    GFETCH_TEXT(final_url, "the URL after redirects"),
    GFETCH_INTEGER(status, "HTTP status code (0: no response)"),
    GFETCH_INTEGER(bytes, "body bytes received"),
    GFETCH_INTEGER(wire_bytes, "bytes received on the wire, headers included"),
    GFETCH_SECONDS(time_total, "seconds from the first attempt to the end, retries included"),
    GFETCH_SECONDS(time_dns, "seconds until the name was resolved"),
    GFETCH_SECONDS(time_connect, "seconds until the TCP connection was up"),
    GFETCH_SECONDS(time_tls, "seconds until the TLS handshake was done"),
    GFETCH_SECONDS(time_first_byte, "seconds until the first response byte"),
    GFETCH_INTEGER(attempts, "attempts made"),
    GFETCH_INTEGER(redirects, "redirects followed"),
    GFETCH_TEXT(remote_ip, "address of the server"),
    GFETCH_TEXT(http_version, "HTTP version of the response"),
    GFETCH_TEXT(error, "error kind, empty when the fetch succeeded"),
    GFETCH_TEXT(error_message, "error description"),
    Entry{{"input", FieldType::text, "where the URL was read: FILE:LINE"},
          [](const Result& r) { return r.input.label(); },
          nullptr},
    GFETCH_TEXT(file, "file the body was saved to (-o)"),
};

#undef GFETCH_TEXT
#undef GFETCH_INTEGER
#undef GFETCH_SECONDS

const std::array<Field, kEntries.size()> kFields = [] {
  std::array<Field, kEntries.size()> out{};
  for (std::size_t i = 0; i < kEntries.size(); ++i) out[i] = kEntries[i].field;
  return out;
}();

const Entry& entry_of(const Field& field) {
  return kEntries[static_cast<std::size_t>(&field - kFields.data())];
}

}  // namespace

const std::string* InputSource::intern(std::string_view name) {
  static std::mutex mutex;
  static auto* names = new std::set<std::string, std::less<>>();  // never freed: see header
  std::lock_guard<std::mutex> lock(mutex);
  auto found = names->find(name);
  if (found == names->end()) found = names->emplace(name).first;
  return &*found;
}

std::string InputSource::label() const {
  if (name == nullptr) return "";
  char number[24];
  char* const end = std::to_chars(number, number + sizeof number, line).ptr;
  std::string out;
  out.reserve(name->size() + 1 + static_cast<std::size_t>(end - number));
  out.append(*name).append(1, ':').append(number, end);
  return out;
}

std::span<const Field> fields() noexcept {
  return kFields;
}

const Field* find_field(std::string_view name) noexcept {
  for (const Field& field : kFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::string field_text(const Result& result, const Field& field) {
  return entry_of(field).text(result);
}

double field_number(const Result& result, const Field& field) {
  const Entry& entry = entry_of(field);
  return entry.number ? entry.number(result) : 0.0;
}

}  // namespace gfetch
