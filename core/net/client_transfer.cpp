// One hop's libcurl side: the easy handle's options, the write / header / socket /
// pre-request callbacks, and what its outcome means as an errc. The callbacks run
// on the hub inside libcurl: they record bytes and headers in the Transfer and
// return; only Multi wakes the greenlet.
#include "net/detail/transfer.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "green/hub.hpp"
#include "net/detail/curl_memory.hpp"
#include "net/error.hpp"

namespace gfetch::net::detail {

using namespace std::literals;  // "GET"sv: compares without strlen

namespace {

constexpr std::size_t kFileBuffer = 256 * 1024;

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) noexcept {
  const char* begin = text.data();
  const char* end = begin + text.size();
  while (begin < end && is_blank(*begin)) ++begin;
  while (end > begin && is_blank(end[-1])) --end;
  return {begin, static_cast<std::size_t>(end - begin)};
}

bool is_redirect(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// "HTTP/1.1 200 OK", "HTTP/2 404": the three digits after the first space.
int parse_status(std::string_view line) noexcept {
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return 0;
  int status = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    status = status * 10 + (line[i] - '0');
  }
  return status;
}

bool wanted(const Transfer& transfer, std::string_view name) noexcept {
  if (transfer.keep_headers == nullptr) return true;
  for (const std::string& kept : *transfer.keep_headers) {
    if (header_name_equals(kept, name)) return true;
  }
  return false;
}

}  // namespace

namespace {

// A "Name: value" line that may be kept or be the Location.
void record_named_header(Transfer& transfer, std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  // No whitespace may precede the colon (RFC 9112), so the name needs no trim.
  std::string_view name(line.data(), colon);
  const bool is_location = header_name_equals(name, "location");
  transfer.last_header_kept = wanted(transfer, name);
  if (!is_location && !transfer.last_header_kept) return;
  std::string_view value = trim(std::string_view(line.data() + colon + 1, line.size() - colon - 1));
  if (is_location && transfer.location.empty()) transfer.location = value;
  if (transfer.last_header_kept) {
    transfer.headers.push_back(Header{std::string(name), std::string(value)});
  }
}

}  // namespace

void record_header_line(Transfer& transfer, std::string_view line) {
  if (line.starts_with("HTTP/")) {
    // A new response (after a 1xx, or the first): its headers replace any before.
    transfer.status = parse_status(trim(line));
    transfer.headers.clear();
    transfer.location.clear();
    transfer.last_header_kept = false;
    transfer.skip_body = false;
    return;
  }
  if (line.empty() || line.front() == '\r' || line.front() == '\n') {
    // End of a header block. A redirect we are going to follow has a body nobody
    // wants to keep.
    transfer.skip_body =
        transfer.follow_redirects && is_redirect(transfer.status) && !transfer.location.empty();
    return;
  }
  if (line.front() == ' ' || line.front() == '\t') {
    std::string_view more = trim(line);
    if (transfer.last_header_kept && !more.empty()) {
      transfer.headers.back().value.append(" ").append(more);  // obsolete line folding
    }
    return;
  }
  // on_header has dropped the lines whose first letter no wanted name starts with.
  record_named_header(transfer, line);
}

namespace {

// record_header_line, or the transfer's abort if it cannot (out of memory). Out of
// line: the lines on_header skips pay no register saves for it.
[[gnu::noinline]] size_t record_or_abort(Transfer& transfer, char* data, size_t length) noexcept {
  try {
    record_header_line(transfer, std::string_view(data, length));
  } catch (...) {
    transfer.abort = Abort::write_failed;
    return 0;
  }
  return length;
}

// Called for every header line of every response: a header nobody wants costs a
// look at its first letter.
size_t on_header(char* data, size_t size, size_t count, void* self) noexcept {
  auto* transfer = static_cast<Transfer*>(self);
  const std::size_t length = size * count;
  transfer->last_activity = transfer->hub->now();
  transfer->header_bytes += length;
  if (transfer->header_bytes > transfer->header_limit) {
    transfer->abort = Abort::headers_too_large;
    return 0;
  }
  // Most lines (Date, Server, Content-Type, ...) start with a letter that no
  // wanted name starts with, nor "HTTP/": done here, without looking further.
  if (length > 0) {
    const unsigned letter = (static_cast<unsigned char>(data[0]) | 0x20u) - 'a';
    if (letter < 26 && (transfer->skipped_letters >> letter) & 1u) {
      transfer->last_header_kept = false;
      return length;
    }
  }
  return record_or_abort(*transfer, data, length);
}

// Asks Multi to acknowledge the bytes read so far at once if wants_ack_now says so.
void ack_burst_if_incomplete(Transfer& transfer, std::size_t chunk) noexcept {
  transfer.unacknowledged_bytes += chunk;
  if (transfer.unacknowledged_bytes < kAckBurst || transfer.ack_now == nullptr) return;
  curl_off_t received = 0;
  curl_off_t length = -1;
  curl_easy_getinfo(transfer.easy, CURLINFO_SIZE_DOWNLOAD_T, &received);
  curl_easy_getinfo(transfer.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (wants_ack_now(transfer.unacknowledged_bytes, received, length)) {
    *transfer.ack_now = true;
    transfer.unacknowledged_bytes = 0;
  }
}

size_t on_body(char* data, size_t size, size_t count, void* self) noexcept {
  auto* transfer = static_cast<Transfer*>(self);
  std::size_t length = size * count;
  transfer->last_activity = transfer->hub->now();
  ack_burst_if_incomplete(*transfer, length);
  if (transfer->skip_body) return length;
  if (length > transfer->body_limit - transfer->body_bytes) {
    transfer->abort = Abort::body_too_large;
    return 0;
  }
  if (!transfer->writer->write(data, length)) {
    transfer->abort = Abort::write_failed;
    return 0;
  }
  transfer->body_bytes += length;
  return length;
}

// Opens the socket of a new connection in libcurl's place: libcurl 7.88 reports
// any failed socket() as "Couldn't connect to server", so the errno (EMFILE: the
// open-file limit) is kept for the message. From here until the connection is
// ready, libcurl's clock reads are the clock's (net/detail/curl_clock.hpp).
curl_socket_t on_open_socket(void* self, curlsocktype, curl_sockaddr* address) noexcept {
  auto* transfer = static_cast<Transfer*>(self);
  const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) {
    transfer->socket_error = errno;
    return CURL_SOCKET_BAD;
  }
  transfer->socket_error = 0;  // an address tried later opened: its error counts
  if (!transfer->connection_setup) transfer->connection_setup.emplace();
  return fd;
}

// Called once the connection is ready (new or reused, TLS done), before the
// request is sent: from here on, silence counts as a stall.
int on_connected(void* self, char*, char*, int, int) noexcept {
  auto* transfer = static_cast<Transfer*>(self);
  ++transfer->requests_sent;
  transfer->last_activity = transfer->hub->now();
  if (transfer->pending_connect != nullptr) transfer->pending_connect->settle();
  transfer->connection_setup.reset();
  return CURL_PREREQFUNC_OK;
}

long to_http_version(HttpVersion version) noexcept {
  switch (version) {
    case HttpVersion::http1_1:
      return CURL_HTTP_VERSION_1_1;
    case HttpVersion::http2:
      return CURL_HTTP_VERSION_2_0;
    case HttpVersion::http2_prior_knowledge:
      return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    case HttpVersion::any:
      break;
  }
  return CURL_HTTP_VERSION_2TLS;
}

long to_milliseconds(std::optional<double> seconds) noexcept {
  if (!seconds) return 0;  // libcurl's default
  double ms = *seconds * 1000.0;
  return ms < 1 ? 1 : static_cast<long>(ms);
}

}  // namespace

BodyWriter::~BodyWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

std::error_code BodyWriter::open() {
  if (sink_.kind != BodySink::Kind::file || file_ != nullptr) return {};
  // O_NOFOLLOW: a symlink planted at the path cannot redirect the write elsewhere.
  int fd = ::open(sink_.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return errc::write_failed;
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    return errc::write_failed;
  }
  buffer_ = std::make_unique<char[]>(kFileBuffer);
  std::setvbuf(file_, buffer_.get(), _IOFBF, kFileBuffer);
  return {};
}

bool BodyWriter::write(const char* data, std::size_t size) noexcept {
  switch (sink_.kind) {
    case BodySink::Kind::discard:
      return true;
    case BodySink::Kind::memory:
      try {
        memory_.append(data, size);
        return true;
      } catch (...) {
        return false;
      }
    case BodySink::Kind::file:
      return file_ != nullptr && std::fwrite(data, 1, size, file_) == size;
  }
  return false;
}

std::error_code BodyWriter::close() {
  if (file_ == nullptr) return {};
  int status = std::fclose(file_);
  file_ = nullptr;
  return status == 0 ? std::error_code{} : errc::write_failed;
}

std::uint64_t BodyWriter::limit(std::uint64_t limit) const noexcept {
  if (sink_.kind == BodySink::Kind::memory && sink_.memory_cap < limit) return sink_.memory_cap;
  return limit;
}

Transfer::Transfer(green::Hub& hub_ref, BodyWriter& body_writer)
    : hub(&hub_ref), writer(&body_writer) {}

void Transfer::want_headers(const std::vector<std::string>* keep, bool follow) noexcept {
  keep_headers = keep;
  follow_redirects = follow;
  auto letter = [](char c) -> std::uint32_t {
    const unsigned char lower = static_cast<unsigned char>(c) | 0x20;
    return lower >= 'a' && lower <= 'z' ? 1u << (lower - 'a') : 0;
  };
  // Location: a redirect followed or not, it is recorded. "HTTP/": a status line.
  std::uint32_t wanted = letter('l') | letter('h');
  if (keep == nullptr) {
    wanted = UINT32_MAX;  // keep all
  } else {
    for (const std::string& name : *keep) {
      if (!name.empty()) wanted |= letter(name.front());
    }
  }
  skipped_letters = ~wanted & ((1u << 26) - 1);
}

void Transfer::finish(CURLcode code) noexcept {
  connection_setup.reset();
  done = true;
  result = code;
  waiter.wake();
}

bool append(Slist& list, const std::string& line) {
  ensure_curl_initialised();
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) return false;
  (void)list.release();
  list.reset(grown);
  return true;
}

long receive_buffer_size(std::size_t in_flight) noexcept {
  constexpr std::size_t kBudget = 8u << 20;
  constexpr std::size_t kMin = 1024;        // libcurl's smallest
  constexpr std::size_t kMax = 128 * 1024;  // a 64 KiB body and its headers in one read
  std::size_t size = std::min(kMax, kBudget / std::max<std::size_t>(in_flight, 1));
  const std::size_t granule = size >= 4096 ? 4096 : 1024;
  return static_cast<long>(std::max(kMin, size - size % granule));
}

bool UrlParts::set_part(CURLUPart part, const char* value) noexcept {
  return curl_url_set(handle_.get(), part, value, 0) == CURLUE_OK;
}

CURLU* UrlParts::set(const Url& url) {
  if (url.host.find(':') != std::string::npos) return nullptr;
  if (!handle_) {
    ensure_curl_initialised();
    handle_.reset(curl_url());
    if (!handle_) return nullptr;
  }
  const bool all = scheme_.empty();
  bool ok = true;
  if (all || url.scheme != scheme_) ok = set_part(CURLUPART_SCHEME, url.scheme.c_str());
  if (ok && (all || url.host != host_)) ok = set_part(CURLUPART_HOST, url.host.c_str());
  if (ok && (all || url.port != port_)) {
    char port[8];
    auto [end, error] = std::to_chars(port, port + sizeof port - 1, url.port);
    ok = error == std::errc{};
    if (ok) {
      *end = '\0';
      ok = set_part(CURLUPART_PORT, port);
    }
  }
  if (ok) ok = set_part(CURLUPART_PATH, url.path.c_str());
  if (ok && (!url.query.empty() || has_query_)) {
    ok = set_part(CURLUPART_QUERY, url.query.empty() ? nullptr : url.query.c_str());
  }
  if (!ok) {
    scheme_.clear();  // some parts may be stale: set them all next time
    return nullptr;
  }
  if (all || url.scheme != scheme_) scheme_ = url.scheme;
  if (all || url.host != host_) host_ = url.host;
  port_ = url.port;
  has_query_ = !url.query.empty();
  return handle_.get();
}

void init_easy(CURL* easy) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, &on_connected);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
  // Redirects are followed by the client, each hop resolved by net::Resolver.
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "");  // no_proxy is applied by the client
}

CURLcode configure_easy(Easy& easy, const Hop& hop) {
  const Request& request = *hop.request;
  CURLcode code = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (code == CURLE_OK) code = curl_easy_setopt(easy.handle, option, value);
  };
  set(CURLOPT_URL, hop.url->c_str());  // also what libcurl reports and logs
  set(CURLOPT_CURLU, hop.parsed_url);
  set(CURLOPT_PRIVATE, static_cast<void*>(hop.transfer));
  set(CURLOPT_WRITEDATA, static_cast<void*>(hop.transfer));
  set(CURLOPT_HEADERDATA, static_cast<void*>(hop.transfer));
  set(CURLOPT_PREREQDATA, static_cast<void*>(hop.transfer));
  set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(hop.transfer));
  set(CURLOPT_HTTPHEADER, hop.headers);
  set(CURLOPT_RESOLVE, hop.resolve);
  set(CURLOPT_PIPEWAIT, hop.pipewait ? 1L : 0L);

  const std::string& method = *hop.method;
  if (method == "HEAD"sv) {
    set(CURLOPT_NOBODY, 1L);
    set(CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
  } else if (hop.body != nullptr) {
    set(CURLOPT_NOBODY, 0L);  // POSTFIELDS alone leaves a previous HEAD's NOBODY on
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(hop.body->size()));
    set(CURLOPT_POSTFIELDS, hop.body->data());
    set(CURLOPT_CUSTOMREQUEST, method == "POST"sv ? nullptr : method.c_str());
  } else {
    set(CURLOPT_HTTPGET, 1L);
    set(CURLOPT_CUSTOMREQUEST, method == "GET"sv ? nullptr : method.c_str());
  }
  // CURLOPT_CAINFO cannot be set back to the built-in default: the client resets
  // handles that used a CA file before pooling them again.
  if (!request.tls.ca_file.empty()) set(CURLOPT_CAINFO, request.tls.ca_file.c_str());

  StickyOptions& have = easy.sticky;
  const bool all = !have.valid;
  have.valid = false;  // until every setopt below has succeeded
  auto update = [&](CURLoption option, auto& current, const auto& wanted, auto value) {
    if (all || current != wanted) {
      set(option, value);
      current = wanted;
    }
  };
  const bool agent_set = hop.user_agent != nullptr;
  if (all || have.user_agent.has_value() != agent_set ||
      (agent_set && *have.user_agent != *hop.user_agent)) {
    set(CURLOPT_USERAGENT, agent_set ? hop.user_agent->c_str() : nullptr);
    have.user_agent = agent_set ? std::optional<std::string>(*hop.user_agent) : std::nullopt;
  }
  // Always explicit, so libcurl never reads proxy variables from the environment:
  // the client decided (no_proxy included) and resolved the names it will use.
  update(CURLOPT_PROXY, have.proxy, *hop.proxy, hop.proxy->c_str());
  update(CURLOPT_ACCEPT_ENCODING, have.accept_encoding, request.accept_encoding,
         request.accept_encoding ? request.accept_encoding->c_str() : nullptr);
  update(CURLOPT_BUFFERSIZE, have.buffer_size, hop.buffer_size, hop.buffer_size);
  const long connect_ms = to_milliseconds(request.timeouts.connect);
  update(CURLOPT_CONNECTTIMEOUT_MS, have.connect_timeout_ms, connect_ms, connect_ms);
  const long version =
      hop.reuse_h2c ? long{CURL_HTTP_VERSION_2_0} : to_http_version(request.http_version);
  update(CURLOPT_HTTP_VERSION, have.http_version, version, version);
  const std::uint64_t limit = hop.transfer->body_limit;
  const curl_off_t max_filesize =
      static_cast<curl_off_t>(limit == UINT64_MAX || limit > INT64_MAX ? 0 : limit);
  update(CURLOPT_MAXFILESIZE_LARGE, have.max_filesize, max_filesize, max_filesize);
  update(CURLOPT_DNS_CACHE_TIMEOUT, have.dns_cache_timeout, hop.dns_cache_timeout,
         hop.dns_cache_timeout);
  const long verify = request.tls.insecure ? 0L : 1L;
  if (all || have.verify != verify) {
    set(CURLOPT_SSL_VERIFYPEER, verify);
    set(CURLOPT_SSL_VERIFYHOST, verify * 2);
    set(CURLOPT_PROXY_SSL_VERIFYPEER, verify);
    set(CURLOPT_PROXY_SSL_VERIFYHOST, verify * 2);
    have.verify = verify;
  }
  have.valid = code == CURLE_OK;
  return code;
}

std::error_code outcome_error(CURLcode code, const Transfer& transfer, CURL* easy) {
  switch (code) {
    case CURLE_OK:
      return {};
    case CURLE_WRITE_ERROR:
      switch (transfer.abort) {
        case Abort::body_too_large:
          return errc::body_too_large;
        case Abort::headers_too_large:
          return errc::bad_response;
        case Abort::write_failed:
        case Abort::none:
          break;
      }
      return errc::write_failed;
    case CURLE_FILESIZE_EXCEEDED:
      return errc::body_too_large;
    case CURLE_URL_MALFORMAT:
      return errc::invalid_url;
    case CURLE_COULDNT_RESOLVE_HOST:
      return errc::dns_not_found;
    case CURLE_COULDNT_CONNECT: {
      long os_error = 0;
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_error);
      return os_error == ECONNREFUSED ? errc::connect_refused : errc::connect_failed;
    }
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      return errc::connect_failed;
    case CURLE_OPERATION_TIMEDOUT:
      return errc::connect_timeout;  // the only libcurl timeout the client sets
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return errc::tls_failure;
    case CURLE_TOO_MANY_REDIRECTS:
      return errc::too_many_redirects;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2_STREAM:
      return errc::connection_reset;
    case CURLE_UNSUPPORTED_PROTOCOL:  // the URL was checked: an HTTP/0.9 or bad version reply
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
      return errc::bad_response;
    case CURLE_ABORTED_BY_CALLBACK:
      return errc::cancelled;
    default:
      return {static_cast<int>(code), curl_category()};
  }
}

std::string outcome_message(const Transfer& transfer, const char* curl_error, CURL* easy) {
  switch (transfer.abort) {
    case Abort::headers_too_large:
      return "response headers larger than " + std::to_string(transfer.header_limit) + " bytes";
    case Abort::body_too_large:
      return "body larger than " + std::to_string(transfer.body_limit) + " bytes";
    case Abort::write_failed:
      return "cannot store the body";
    case Abort::none:
      break;
  }
  if (transfer.result == CURLE_FILESIZE_EXCEEDED) {
    return "body larger than " + std::to_string(transfer.body_limit) + " bytes";
  }
  if (transfer.result == CURLE_COULDNT_CONNECT && transfer.socket_error != 0) {
    return std::string("could not open a socket: ") + std::strerror(transfer.socket_error);
  }
  std::string message =
      curl_error[0] != '\0' ? std::string(curl_error) : curl_easy_strerror(transfer.result);
  // libcurl 7.88 ends every failed connect with the same words: say what the
  // system said instead ("Connection refused", "Network is unreachable", ...).
  constexpr std::string_view kGeneric = "Couldn't connect to server";
  long os_error = 0;
  if (transfer.result == CURLE_COULDNT_CONNECT && message.ends_with(kGeneric) &&
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_error) == CURLE_OK && os_error != 0) {
    message.replace(message.size() - kGeneric.size(), kGeneric.size(),
                    std::strerror(static_cast<int>(os_error)));
  }
  return message;
}

}  // namespace gfetch::net::detail
