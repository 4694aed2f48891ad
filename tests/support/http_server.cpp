// testing::HttpServer (see http_server.hpp): owns the event_base, the evhttp and
// the server thread. Everything libevent is created on the constructing thread,
// used only by the server thread while it runs, and freed after it is joined.
#include "support/http_server.hpp"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "support/counters.hpp"
#include "support/router.hpp"

namespace testing {
namespace {

struct BaseFree {
  void operator()(event_base* base) const { event_base_free(base); }
};
struct HttpFree {
  void operator()(evhttp* http) const { evhttp_free(http); }
};
struct EventFree {
  void operator()(event* ev) const { event_free(ev); }
};

// Called by evhttp for each accepted connection: count it and hand evhttp the
// same kind of bufferevent it would have made itself.
bufferevent* on_accept(event_base* base, void* arg) noexcept {
  static_cast<detail::Counters*>(arg)->connection_accepted();
  return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

void on_request(evhttp_request* req, void* arg) noexcept {
  static_cast<detail::Router*>(arg)->handle(req);
}

// The stop pipe became readable: leave the loop.
void on_wake(evutil_socket_t /*fd*/, short /*what*/, void* arg) noexcept {
  event_base_loopbreak(static_cast<event_base*>(arg));
}

}  // namespace

struct HttpServer::Impl {
  ServerOptions options;
  detail::Counters counters;
  std::unique_ptr<event_base, BaseFree> base;
  std::unique_ptr<evhttp, HttpFree> http;
  std::unique_ptr<event, EventFree> wake_event;
  std::unique_ptr<detail::Router> router;
  int wake_pipe[2] = {-1, -1};
  std::uint16_t port = 0;
  std::thread thread;

  // Frees the libevent side in dependency order; idempotent. Counters stay readable.
  void teardown() {
    router.reset();
    http.reset();  // closes the listener and every connection, freeing their requests
    wake_event.reset();
    base.reset();
    for (int& fd : wake_pipe) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
  ~Impl() { teardown(); }
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  // Precise timers: libevent's default coarse clock (~4 ms ticks) would let /delay
  // and /drip end a few ms early, and timing tests compare against steady_clock.
  event_config* config = event_config_new();
  if (config) {
    event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
    s.base.reset(event_base_new_with_config(config));
    event_config_free(config);
  }
  s.http.reset(s.base ? evhttp_new(s.base.get()) : nullptr);
  if (!s.http) throw std::runtime_error("HttpServer: event_base_new/evhttp_new failed");

  int fd = listen_tcp(s.options);
  s.port = local_port(fd);
  if (evhttp_accept_socket_with_handle(s.http.get(), fd) == nullptr) {
    ::close(fd);
    throw std::runtime_error("HttpServer: evhttp_accept_socket failed");
  }
  s.router = std::make_unique<detail::Router>(s.base.get(), s.counters, authority());
  evhttp_set_gencb(s.http.get(), on_request, s.router.get());
  evhttp_set_bevcb(s.http.get(), on_accept, &s.counters);
  evhttp_set_allowed_methods(s.http.get(), EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                               EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                               EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);

  if (::pipe2(s.wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "HttpServer: pipe2");
  }
  s.wake_event.reset(event_new(s.base.get(), s.wake_pipe[0], EV_READ, on_wake, s.base.get()));
  event_add(s.wake_event.get(), nullptr);

  s.thread = std::thread([base = s.base.get()] {
    block_sigpipe_on_this_thread();
    event_base_dispatch(base);
  });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::stop() {
  if (!impl_->thread.joinable()) return;
  char byte = 0;
  while (::write(impl_->wake_pipe[1], &byte, 1) < 0 && errno == EINTR) {
  }
  impl_->thread.join();
  impl_->teardown();
}

std::uint16_t HttpServer::port() const {
  return impl_->port;
}
const std::string& HttpServer::host() const {
  return impl_->options.bind;
}
std::string HttpServer::authority() const {
  return url_authority(host(), port());
}
std::string HttpServer::base_url() const {
  return "http://" + authority();
}
std::string HttpServer::url(std::string_view path) const {
  return base_url() + std::string(path);
}

Stats HttpServer::stats() const {
  return impl_->counters.snapshot();
}
void HttpServer::reset_stats() {
  impl_->counters.reset();
}

}  // namespace testing
