// detail::Transfer: the state of one HTTP exchange (one hop of a fetch) shared
// between the fetch greenlet, which owns it on its stack, and libcurl's callbacks,
// which run on the hub and only record what arrived and wake the greenlet.
// BodyWriter is the body sink of a whole fetch; configure_easy sets up a hop.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "green/waiter.hpp"
#include "net/detail/curl_clock.hpp"
#include "net/request.hpp"
#include "net/url.hpp"

namespace green {
class Hub;
}

namespace gfetch::net::detail {

// Writes the kept body of a fetch to its sink: nowhere, memory or a file.
class BodyWriter {
 public:
  explicit BodyWriter(const BodySink& sink) : sink_(sink) {}
  ~BodyWriter();
  BodyWriter(const BodyWriter&) = delete;
  BodyWriter& operator=(const BodyWriter&) = delete;

  // Creates/truncates the file sink (once); errc::write_failed if it cannot.
  std::error_code open();
  // false: the bytes could not be stored (disk full, out of memory).
  bool write(const char* data, std::size_t size) noexcept;
  // Flushes and closes the file; errc::write_failed if that fails.
  std::error_code close();
  std::string take_memory() { return std::move(memory_); }
  // The smallest of the sink's own cap and `limit`.
  std::uint64_t limit(std::uint64_t limit) const noexcept;

 private:
  const BodySink& sink_;
  std::string memory_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
};

// Counts a hop in `pending` from its start until its connection is ready (libcurl's
// pre-request callback) or the hop ends, whichever comes first.
class PendingConnect {
 public:
  explicit PendingConnect(std::size_t& pending) : pending_(&pending) { ++pending; }
  ~PendingConnect() { settle(); }
  PendingConnect(const PendingConnect&) = delete;
  PendingConnect& operator=(const PendingConnect&) = delete;
  void settle() noexcept {
    if (pending_ != nullptr) --*pending_;
    pending_ = nullptr;
  }

 private:
  std::size_t* pending_;
};

// Why a callback stopped a transfer (libcurl then reports CURLE_WRITE_ERROR).
enum class Abort : std::uint8_t { none, body_too_large, write_failed, headers_too_large };

struct Transfer {
  Transfer(green::Hub& hub, BodyWriter& writer);

  // Wakes the waiting greenlet with libcurl's verdict. Called on the hub.
  void finish(CURLcode code) noexcept;

  green::Hub* hub;
  BodyWriter* writer;
  green::Waiter waiter;                       // bound to the fetch greenlet
  PendingConnect* pending_connect = nullptr;  // settled once connected

  // Sets keep_headers, follow_redirects and skipped_letters.
  void want_headers(const std::vector<std::string>* keep, bool follow) noexcept;

  // Set by the greenlet before the transfer starts.
  bool follow_redirects = false;  // 3xx with Location: discard the body
  std::uint64_t body_limit = UINT64_MAX;
  std::uint64_t header_limit = UINT64_MAX;
  const std::vector<std::string>* keep_headers = nullptr;  // null: keep all
  // Bit n: a header line that starts with letter n (either case) is not wanted: no
  // kept header, nor Location, nor a status line ("HTTP/") starts with it.
  std::uint32_t skipped_letters = 0;

  // Recorded by libcurl's callbacks on the hub.
  bool done = false;
  CURLcode result = CURLE_OK;
  int requests_sent = 0;          // about to be or sent; more than 1: a retry, auth
  double last_activity = 0;       // hub time of the last byte (or of connecting)
  int status = 0;                 // of the latest status line
  Headers headers;                // of the latest response (a 1xx is replaced), those kept
  std::string location;           // its Location header, kept or not
  bool last_header_kept = false;  // where an obsolete folded line belongs
  bool skip_body = false;         // a redirect's body: counted on the wire only
  std::uint64_t body_bytes = 0;
  std::uint64_t header_bytes = 0;
  Abort abort = Abort::none;
  int socket_error = 0;  // errno of a socket() that failed (EMFILE, ...)

  // Set on the hub when libcurl reports the transfer done: the hub has removed the
  // handle from its multi already (so libcurl's deep call chains for that run on
  // the hub's stack, not on the fetch greenlet's small one).
  bool detached = false;
  // Asked before the transfer starts; filled on the hub before the removal.
  bool want_active_socket = false;
  curl_socket_t active_socket = CURL_SOCKET_BAD;

  // Set by whoever cancels the fetch from outside (Client's destructor).
  bool cancelled = false;
  // Set by Multi::add: the easy handle, and where on_body asks Multi to acknowledge
  // what was just read at once (see wants_ack_now).
  CURL* easy = nullptr;
  bool* ack_now = nullptr;
  // From libcurl's opening of a socket for this transfer until its connection is
  // ready or the transfer ends: libcurl's clock reads are the clock's meanwhile.
  std::optional<curl_clock::ConnectionSetup> connection_setup;
  std::uint64_t unacknowledged_bytes = 0;  // body bytes read since it last asked
  Transfer* prev = nullptr;                // the client's list of transfers in flight
  Transfer* next = nullptr;

  // The connection is ready and the request about to be (or was) sent.
  bool connected() const noexcept { return requests_sent > 0; }
};

// Whether to acknowledge at once, after `unacknowledged` body bytes were read
// since this transfer last asked for that, with libcurl counting `received` of
// `length` (-1: unknown) body bytes on the wire. A burst that leaves the body
// incomplete may have filled the server's send buffer, and the server then waits
// for our ACK to free it. Linux delays that ACK by 40 ms or more (TCP_DELACK_MIN)
// once the connection looks interactive (each request follows the previous
// response), and when the burst is a single segment (loopback's 64 KiB MSS) the
// ACK-every-second-segment rule does not send it either: each such response
// stalls 40 ms (measured on bench (b): its last transfers, in gfetch and curl
// alike). Counting bytes, not reads, keeps it to one ACK per 16 KiB whatever the
// receive buffer's size; small bodies never ask.
inline constexpr std::size_t kAckBurst = 16 * 1024;
constexpr bool wants_ack_now(std::uint64_t unacknowledged, std::int64_t received,
                             std::int64_t length) noexcept {
  return unacknowledged >= kAckBurst && (length < 0 || received < length);
}

// Records one response header line as libcurl hands it over (CRLF included): the
// status line resets, the kept headers (obsolete folding joined), Location, and at
// the blank line whether the body is a followed redirect's. Throws bad_alloc only.
void record_header_line(Transfer& transfer, std::string_view line);

// When libcurl's DNS cache is pruned. libcurl walks the whole cache at the end of
// every transfer to drop entries older than CURLOPT_DNS_CACHE_TIMEOUT: ~900
// instructions per 1 KiB request (callgrind), 1.3% of it. The client hands libcurl
// a host's addresses with every transfer (CURLOPT_RESOLVE replaces the entry), so
// the cache never needs to expire an entry to stay correct, only to stay small:
// transfers run with the timeout at -1 (no walk), and once a minute one transfer
// per multi handle runs with kSeconds, pruning what no transfer used for a minute.
class DnsCachePruning {
 public:
  static constexpr long kSeconds = 60;
  explicit DnsCachePruning(double now) noexcept : next_(now + kSeconds) {}
  // CURLOPT_DNS_CACHE_TIMEOUT for a transfer starting at `now` (hub seconds).
  long timeout_for(double now) noexcept {
    if (now < next_) return -1;
    next_ = now + kSeconds;
    return kSeconds;
  }

 private:
  double next_;
};

// Options that seldom change from one request to the next. A pooled handle gets
// them only when they differ from what it already has: no reset, no string copy.
struct StickyOptions {
  bool valid = false;  // false: unknown (a new or reset handle), set them all
  std::optional<std::string> user_agent;
  std::string proxy;
  std::optional<std::string> accept_encoding;
  long connect_timeout_ms = 0;
  long buffer_size = 0;
  long http_version = 0;
  curl_off_t max_filesize = 0;
  long dns_cache_timeout = 0;
  long verify = 1;
};

struct CurluDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using Curlu = std::unique_ptr<CURLU, CurluDeleter>;

// The URL a pooled easy handle gives libcurl as a URL handle (CURLOPT_CURLU), set
// part by part from what parse_url found: libcurl does not parse the URL again (its
// parser formats it back a byte at a time), and only the parts that differ from the
// handle's last URL are set (usually just the path: no host check, no allocation).
class UrlParts {
 public:
  // The handle holding `url`, or null if libcurl refuses a part or the host is an
  // IPv6 literal (Url has no field for a zone id): then libcurl gets the text.
  CURLU* set(const Url& url);

 private:
  bool set_part(CURLUPart part, const char* value) noexcept;

  Curlu handle_;
  std::string scheme_;  // what handle_ holds; empty after a failure: all parts again
  std::string host_;
  int port_ = 0;
  bool has_query_ = false;
};

// A pooled easy handle, the buffer libcurl writes its error text into, and what
// configure_easy last set on it.
struct Easy {
  CURL* handle = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  StickyOptions sticky;
  UrlParts url;
};

// Options every pooled easy handle keeps for life (callbacks, NOSIGNAL, ...).
void init_easy(CURL* easy);

// What one hop sends. Pointers stay valid until the transfer has been removed.
struct Hop {
  const Request* request;
  const std::string* url;
  CURLU* parsed_url;  // the same URL parsed (CURLOPT_CURLU), or null: libcurl parses
  const std::string* method;
  const std::string* body;        // null: no body
  curl_slist* headers;            // the request's headers, User-Agent included
  curl_slist* resolve;            // "+host:port:addr,..." entries, may be null
  const std::string* proxy;       // "" = direct (the client applied no_proxy already)
  const std::string* user_agent;  // CURLOPT_USERAGENT, or null (in `headers`, or none)
  Transfer* transfer;
  // libcurl's receive buffer for this transfer (CURLOPT_BUFFERSIZE): see
  // receive_buffer_size.
  long buffer_size = 16 * 1024;
  // Ask for HTTP/2 (not prior knowledge) to reuse an h2c connection (client.cpp).
  bool reuse_h2c = false;
  // Wait for a connection that may multiplex (HTTP/2) instead of opening another.
  // Only where HTTP/2 is possible: on plain HTTP/1.1 it would serialise the first
  // requests to a new host behind one another.
  bool pipewait = false;
  // CURLOPT_DNS_CACHE_TIMEOUT: -1, or DnsCachePruning::kSeconds when this transfer
  // prunes its multi handle's DNS cache (Multi::dns_cache_timeout).
  long dns_cache_timeout = -1;
};

// The receive buffer for a transfer started while `in_flight` fetches run: all of
// them share an 8 MiB budget, from 1 KiB to 128 KiB each (in 4 KiB steps, 1 KiB
// ones below 4 KiB). At pool 100 (80 KiB) a 64 KiB body and its headers arrive in
// one read, not five (libcurl's default is 16 KiB); at 5,000 slow transfers the
// buffers cost 5 MiB instead of 80.
long receive_buffer_size(std::size_t in_flight) noexcept;

// Sets every per-request option of `easy` for `hop`, so a pooled handle carries
// nothing over from its last request (sticky ones only when they differ).
// Returns the first setopt failure.
CURLcode configure_easy(Easy& easy, const Hop& hop);

// The error kind of a finished (or failed to start) transfer: libcurl's code read
// with what the callbacks recorded (why they stopped it) and the socket's errno.
std::error_code outcome_error(CURLcode code, const Transfer& transfer, CURL* easy);
// A message for that error: the callbacks' reason, else libcurl's error text (a
// failed connect's with the system's reason).
std::string outcome_message(const Transfer& transfer, const char* curl_error, CURL* easy);

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Appends `line` to `list` (taking ownership); false when out of memory.
bool append(Slist& list, const std::string& line);

}  // namespace gfetch::net::detail
