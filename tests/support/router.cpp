// The HttpServer's routes (see router.hpp; the list is in README.md). Each route
// answers from the server thread without blocking: timed routes arm a timer.
#include "support/router.hpp"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "support/content.hpp"
#include "support/pages.hpp"

namespace testing::detail {
namespace {

constexpr std::uint64_t kMaxBytes = std::uint64_t{16} << 30;       // /bytes: 16 GiB
constexpr std::uint64_t kMaxGzipBytes = std::uint64_t{256} << 20;  // /gzip: 256 MiB
constexpr std::uint64_t kMaxDripBytes = std::uint64_t{64} << 20;   // /drip: 64 MiB
constexpr std::uint64_t kMaxMillis = 600'000;                      // /delay, /drip: 10 min
constexpr std::uint64_t kMaxRedirects = 1000;
constexpr std::uint64_t kMaxMeshPages = 10'000;
constexpr std::uint64_t kMaxTreePages = 1'000'000'000;
constexpr std::uint64_t kMaxFanout = 1000;
constexpr std::uint64_t kDripTickMillis = 10;  // /drip sends at most one chunk per 10 ms

// The query string's parameters, decoded; freed with the object.
class Query {
 public:
  explicit Query(const char* query) { evhttp_parse_query_str(query ? query : "", &params_); }
  ~Query() { evhttp_clear_headers(&params_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  const char* get(const char* key) const { return evhttp_find_header(&params_, key); }
  // The parameter as a number: `fallback` if absent, nullopt if present but not a number.
  std::optional<std::uint64_t> number(const char* key, std::uint64_t fallback) const {
    const char* value = get(key);
    return value ? parse_uint(value) : std::optional<std::uint64_t>(fallback);
  }

 private:
  evkeyvalq params_{};
};

// Appends `length` pattern bytes starting at pattern offset `offset`, as references
// to the static pattern block: no copy, however big the body.
void add_pattern(evbuffer* buf, std::uint64_t offset, std::uint64_t length) {
  std::string_view block = pattern_block();
  while (length > 0) {
    std::size_t start = offset % 26;
    std::size_t piece =
        static_cast<std::size_t>(std::min<std::uint64_t>(length, block.size() - start));
    evbuffer_add_reference(buf, block.data() + start, piece, nullptr, nullptr);
    offset += piece;
    length -= piece;
  }
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    std::size_t end = std::min(path.find('/'), path.size());
    parts.push_back(path.substr(0, end));
    path.remove_prefix(end);
  }
  return parts;
}

bool is_head(evhttp_request* req) {
  return evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
}

bool has_body(int code) {
  return code >= 200 && code != 204 && code != 304;
}

timeval to_timeval(std::chrono::microseconds us) {
  auto n = std::max<std::int64_t>(0, us.count());
  return {static_cast<time_t>(n / 1'000'000), static_cast<suseconds_t>(n % 1'000'000)};
}

}  // namespace

struct Router::Timed {
  enum class Kind { delay, drip };
  Timed(Router* r, evhttp_request* q, Kind k) : router(r), req(q), kind(k) {}
  Router* router;
  evhttp_request* req;
  Kind kind;
  event* timer = nullptr;
  std::uint64_t ms = 0;                         // /delay
  std::uint64_t total = 0;                      // /drip: body length
  std::uint64_t sent = 0;                       // /drip: bytes sent so far
  std::uint64_t ticks = 1;                      // /drip: chunks (timer firings) in all
  std::uint64_t tick = 0;                       // /drip: chunks sent so far
  std::chrono::steady_clock::time_point start;  // /drip: chunk k is due at start + k * step
  std::chrono::microseconds step{};
};

Router::Router(event_base* base, Counters& counters, std::string authority)
    : base_(base), counters_(counters), authority_(std::move(authority)) {}

Router::~Router() {
  for (auto& [key, timed] : timed_) {
    event_free(timed->timer);
    // A request whose connection is gone belongs to nobody but us: finishing it
    // frees it. Requests still on a connection are freed by evhttp_free().
    if (evhttp_request_get_connection(timed->req) == nullptr) {
      if (timed->kind == Timed::Kind::drip) {
        evhttp_send_reply_end(timed->req);
      } else {
        evhttp_send_reply(timed->req, 503, "Service Unavailable", nullptr);
      }
    }
    counters_.request_finished();
  }
}

void Router::handle(evhttp_request* req) noexcept {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
  std::string_view path = raw_path && *raw_path ? raw_path : "/";
  const char* query = uri ? evhttp_uri_get_query(uri) : nullptr;
  try {
    // The stats routes are not counted: reading them must not change them.
    if (path == "/stats")
      return write(req, 200, stats_json(counters_.snapshot()), "application/json");
    if (path == "/stats/reset") {
      counters_.reset();
      return write(req, 200, "reset\n", "text/plain; charset=utf-8");
    }
  } catch (...) {
    evhttp_send_error(req, 500, "Internal Server Error");
    return;
  }
  counters_.request_started(path);
  try {
    route(req, path, query);
  } catch (...) {  // allocation failure: answer, never let it cross libevent's C frames
    evhttp_send_error(req, 500, "Internal Server Error");
    counters_.request_finished();
  }
}

void Router::route(evhttp_request* req, std::string_view path, const char* query) {
  std::vector<std::string_view> parts = split_path(path);
  std::string_view name = parts.empty() ? "" : parts[0];
  std::optional<std::uint64_t> arg1 = parts.size() >= 2 ? parse_uint(parts[1]) : std::nullopt;

  if (parts.empty()) return reply(req, 200, index_page());
  if (name == "robots.txt" && parts.size() == 1) return reply(req, 200, robots_txt());
  if ((name == "private" || name == "outside") && parts.size() >= 2) {
    return reply(req, 200, std::string(name) + "\n");
  }
  if (name == "headers" && parts.size() == 1) {
    std::string body;
    const evkeyvalq* headers = evhttp_request_get_input_headers(req);
    for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
      body.append(h->key).append(": ").append(h->value).append("\n");
    }
    return reply(req, 200, body);
  }
  if (name == "flaky" && parts.size() == 1) return flaky(req, query);
  if (name == "drip" && parts.size() == 1) return drip(req, query);
  if (name == "redirect-to" && parts.size() == 1) return redirect_to(req, query);
  if (name == "redirect-loop" && parts.size() == 1) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/redirect-loop");
    return reply(req, 302, "redirect loop\n");
  }
  if (parts.size() == 2 &&
      (name == "redirect" || name == "relative-redirect" || name == "absolute-redirect")) {
    return redirect_chain(req, name, parts[1], query);
  }
  if (parts.size() != 2 && name != "links" && name != "tree") return not_found(req);

  if (name == "bytes" && arg1 && *arg1 <= kMaxBytes) {
    evbuffer* body = evbuffer_new();
    add_pattern(body, 0, *arg1);
    send(req, 200, body, "application/octet-stream");
    evbuffer_free(body);
    return;
  }
  if (name == "delay" && arg1 && *arg1 <= kMaxMillis) return delay(req, *arg1);
  if (name == "status" && arg1 && *arg1 >= 200 && *arg1 <= 599) {
    int code = static_cast<int>(*arg1);
    return reply(req, code, "status " + std::to_string(code) + "\n");
  }
  if (name == "gzip" && arg1 && *arg1 <= kMaxGzipBytes) {
    std::string compressed = gzip_pattern(*arg1);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Encoding", "gzip");
    return reply(req, 200, compressed, "application/octet-stream");
  }
  if (name == "links" && parts.size() == 3) {
    std::optional<std::uint64_t> n = arg1, i = parse_uint(parts[2]);
    if (n && i && *n >= 1 && *n <= kMaxMeshPages && *i < *n) {
      return reply(req, 200, mesh_page(*n, *i, authority_of(req)), "text/html; charset=utf-8");
    }
  }
  if (name == "tree" && parts.size() == 4) {
    std::optional<std::uint64_t> n = arg1, f = parse_uint(parts[2]), i = parse_uint(parts[3]);
    if (n && f && i && *n >= 1 && *n <= kMaxTreePages && *f >= 1 && *f <= kMaxFanout && *i < *n) {
      return reply(req, 200, tree_page(*n, *f, *i, authority_of(req)), "text/html; charset=utf-8");
    }
  }
  not_found(req);
}

void Router::redirect_chain(evhttp_request* req, std::string_view kind, std::string_view count,
                            const char* query) {
  std::optional<std::uint64_t> n = parse_uint(count);
  Query params(query);
  std::optional<std::uint64_t> code = params.number("code", 302);
  if (!n || *n < 1 || *n > kMaxRedirects) return not_found(req);
  if (!code || *code < 300 || *code > 399) return bad_request(req, "code must be 3xx");

  std::string suffix = query && *query ? std::string("?") + query : "";
  std::string next = std::to_string(*n - 1);
  std::string location;
  if (kind == "redirect") {
    location = *n > 1 ? "/redirect/" + next + suffix : "/bytes/16";
  } else if (kind == "relative-redirect") {
    location = *n > 1 ? next + suffix : "../bytes/16";
  } else {
    location = "http://" + authority_of(req) +
               (*n > 1 ? "/absolute-redirect/" + next + suffix : "/bytes/16");
  }
  evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location.c_str());
  reply(req, static_cast<int>(*code), "redirect to " + location + "\n");
}

void Router::redirect_to(evhttp_request* req, const char* query) {
  Query params(query);
  const char* url = params.get("url");
  std::optional<std::uint64_t> code = params.number("code", 302);
  if (!url || !code || *code < 300 || *code > 399)
    return bad_request(req, "need url= and 3xx code=");
  if (evhttp_add_header(evhttp_request_get_output_headers(req), "Location", url) != 0) {
    return bad_request(req, "url is not a valid header value");
  }
  reply(req, static_cast<int>(*code), std::string("redirect to ") + url + "\n");
}

void Router::flaky(evhttp_request* req, const char* query) {
  Query params(query);
  const char* id = params.get("id");
  std::optional<std::uint64_t> fail = params.number("fail", 1);
  std::optional<std::uint64_t> code = params.number("code", 503);
  if (!id || !fail || !code || *code < 400 || *code > 599) {
    return bad_request(req, "need id=, fail=K, 4xx/5xx code=");
  }
  std::uint64_t seen = counters_.flaky_seen(id);
  if (seen < *fail) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "0");
    return reply(req, static_cast<int>(*code),
                 "flaky " + std::string(id) + " failure " + std::to_string(seen + 1) + "\n");
  }
  reply(req, 200, "flaky " + std::string(id) + " ok\n");
}

void Router::delay(evhttp_request* req, std::uint64_t ms) {
  auto timed = std::make_unique<Timed>(this, req, Timed::Kind::delay);
  timed->ms = ms;
  timed->timer = evtimer_new(base_, &Router::on_timer, timed.get());
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
  evtimer_add(timed->timer, &tv);
  Timed* key = timed.get();
  timed_.emplace(key, std::move(timed));
}

void Router::drip(evhttp_request* req, const char* query) {
  Query params(query);
  std::optional<std::uint64_t> bytes = params.number("bytes", 10);
  std::optional<std::uint64_t> ms = params.number("ms", 1000);
  if (!bytes || !ms || *bytes > kMaxDripBytes || *ms > kMaxMillis) {
    return bad_request(req, "need bytes<=64MiB, ms<=600000");
  }
  if (is_head(req)) return reply(req, 200, "", "application/octet-stream");

  auto timed = std::make_unique<Timed>(this, req, Timed::Kind::drip);
  timed->total = *bytes;
  // One chunk per tick, ticks at least kDripTickMillis apart; the last chunk ends
  // the body at `ms`. A zero-byte drip still waits `ms` before ending.
  timed->ticks = std::max<std::uint64_t>(1, std::min(*bytes, *ms / kDripTickMillis));
  timed->step = std::chrono::microseconds(*ms * 1000 / timed->ticks);
  timed->start = std::chrono::steady_clock::now();
  timed->timer = evtimer_new(base_, &Router::on_timer, timed.get());

  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "application/octet-stream");
  evhttp_send_reply_start(req, 200, "OK");
  timeval first = to_timeval(timed->step);
  evtimer_add(timed->timer, &first);
  Timed* key = timed.get();
  timed_.emplace(key, std::move(timed));
}

void Router::on_timer(int /*fd*/, short /*what*/, void* arg) noexcept {
  auto* timed = static_cast<Timed*>(arg);
  try {
    timed->router->fire(timed);
  } catch (...) {  // cannot happen short of allocation failure; never unwind into libevent
  }
}

void Router::fire(Timed* timed) {
  if (timed->kind == Timed::Kind::delay) {
    evhttp_request* req = timed->req;
    std::uint64_t ms = timed->ms;
    forget(timed);
    return reply(req, 200, "delay " + std::to_string(ms) + "\n");
  }
  drip_tick(timed);
}

void Router::drip_tick(Timed* timed) {
  evhttp_request* req = timed->req;
  if (evhttp_request_get_connection(req) == nullptr) {  // the client left: free the request
    evhttp_send_reply_end(req);
    counters_.request_finished();
    return forget(timed);
  }
  ++timed->tick;
  std::uint64_t upto = timed->total * timed->tick / timed->ticks;
  if (upto > timed->sent) {
    evbuffer* chunk = evbuffer_new();
    add_pattern(chunk, timed->sent, upto - timed->sent);
    evhttp_send_reply_chunk(req, chunk);
    evbuffer_free(chunk);
    timed->sent = upto;
  }
  if (timed->tick < timed->ticks) {
    // Due times are fixed from the start, so callback latency does not add up.
    auto due = timed->start + timed->step * static_cast<std::int64_t>(timed->tick + 1);
    timeval wait = to_timeval(std::chrono::duration_cast<std::chrono::microseconds>(
        due - std::chrono::steady_clock::now()));
    evtimer_add(timed->timer, &wait);
    return;
  }
  evhttp_send_reply_end(req);
  counters_.request_finished();
  forget(timed);
}

void Router::forget(Timed* timed) {
  event_free(timed->timer);
  timed_.erase(timed);
}

void Router::write(evhttp_request* req, int code, evbuffer* body, const char* content_type) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", content_type);
  if (has_body(code)) {
    std::string length = std::to_string(evbuffer_get_length(body));
    evhttp_add_header(headers, "Content-Length", length.c_str());
  }
  if (is_head(req) || !has_body(code)) evbuffer_drain(body, evbuffer_get_length(body));
  evhttp_send_reply(req, code, reason_phrase(code), body);
}

void Router::write(evhttp_request* req, int code, std::string_view body, const char* content_type) {
  evbuffer* buf = evbuffer_new();
  evbuffer_add(buf, body.data(), body.size());
  write(req, code, buf, content_type);
  evbuffer_free(buf);
}

void Router::send(evhttp_request* req, int code, evbuffer* body, const char* content_type) {
  write(req, code, body, content_type);
  counters_.request_finished();
}

void Router::reply(evhttp_request* req, int code, std::string_view body, const char* content_type) {
  write(req, code, body, content_type);
  counters_.request_finished();
}

void Router::not_found(evhttp_request* req) {
  reply(req, 404, "not found\n");
}

void Router::bad_request(evhttp_request* req, std::string_view why) {
  reply(req, 400, std::string("bad request: ") + std::string(why) + "\n");
}

std::string Router::authority_of(evhttp_request* req) const {
  const char* host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
  return host && *host ? host : authority_;
}

}  // namespace testing::detail
