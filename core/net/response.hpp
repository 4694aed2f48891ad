// net::Response: what came back from one fetch, success or not. A per-URL failure
// (DNS, connect, timeouts, limits, protocol) is a value in `error`, never an
// exception; the fields filled before the failure (status, headers, byte counts,
// timings) are kept, so a report can say how far the fetch got.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include "net/request.hpp"

namespace gfetch::net {

// Seconds. dns and total cover the whole fetch (every hop); the others describe the
// final hop's transfer and are 0 when a phase did not happen (a reused connection
// has no connect, plain http has no tls).
struct Timings {
  double dns = 0;         // waiting for the resolver, summed over the hops
  double connect = 0;     // TCP connect
  double tls = 0;         // TLS handshake
  double first_byte = 0;  // request sent (connection ready) to the first response byte
  double total = 0;       // the whole fetch, from fetch() to its return
};

struct Response {
  int status = 0;                    // final HTTP status; 0 when no response arrived
  Headers headers{};                 // the final response's headers, in arrival order
  std::string body{};                // only with BodySink::memory
  std::uint64_t bytes_received = 0;  // final body bytes after content decoding
  std::uint64_t bytes_on_wire = 0;   // header + body bytes as received, every hop
  Timings timings{};
  std::string url{};        // the final URL (after redirects), normalised
  int redirects = 0;        // redirects followed
  std::string remote_ip{};  // the peer of the final hop ("" if never connected)
  int remote_port = 0;
  std::string http_version{};  // "1.0", "1.1", "2", "3" or "" if none
  std::error_code error{};     // errc::* or curl_category(); empty on success
  std::string error_message{};

  bool ok() const noexcept { return !error; }
  const std::string* header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
};

}  // namespace gfetch::net
