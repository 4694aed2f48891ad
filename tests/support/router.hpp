// The HttpServer's request handler: maps each evhttp request to a route (see
// README.md), answers it at once or arms a libevent timer for /delay and /drip.
// Runs only on the server thread; every callback returns without blocking.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "support/counters.hpp"

struct event_base;
struct evbuffer;
struct evhttp_request;

namespace testing::detail {

class Router {
 public:
  // `authority` ("127.0.0.1:PORT") is used for absolute URLs when a request has no Host.
  Router(event_base* base, Counters& counters, std::string authority);
  // Cancels pending timers and frees requests whose client already left. Must run
  // before evhttp_free(), which frees the requests still on live connections.
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The evhttp general callback: called by libevent on the server thread.
  void handle(evhttp_request* req) noexcept;

 private:
  struct Timed;  // a /delay or /drip response waiting on a timer

  void route(evhttp_request* req, std::string_view path, const char* query);
  void redirect_chain(evhttp_request* req, std::string_view kind, std::string_view count,
                      const char* query);
  void redirect_to(evhttp_request* req, const char* query);
  void flaky(evhttp_request* req, const char* query);
  void delay(evhttp_request* req, std::uint64_t ms);
  void drip(evhttp_request* req, const char* query);
  void fire(Timed* timed);
  void drip_tick(Timed* timed);
  void forget(Timed* timed);
  static void on_timer(int fd, short what, void* arg) noexcept;

  // Writes the whole response: Content-Type, Content-Length, no body on HEAD/204/304.
  void write(evhttp_request* req, int code, evbuffer* body, const char* content_type);
  void write(evhttp_request* req, int code, std::string_view body, const char* content_type);
  // write() and the end of a counted request (Counters::request_finished).
  void send(evhttp_request* req, int code, evbuffer* body, const char* content_type);
  void reply(evhttp_request* req, int code, std::string_view body,
             const char* content_type = "text/plain; charset=utf-8");
  void not_found(evhttp_request* req);
  void bad_request(evhttp_request* req, std::string_view why);
  std::string authority_of(evhttp_request* req) const;

  event_base* base_;
  Counters& counters_;
  std::string authority_;
  std::unordered_map<Timed*, std::unique_ptr<Timed>> timed_;
};

}  // namespace testing::detail
