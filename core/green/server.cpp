// StreamServer: a listener, an accept-loop greenlet that waits for a free pool slot
// before each accept, and one pool greenlet per connection; stop() unwinds them in
// that order.
#include "green/server.hpp"

#include <errno.h>

#include <algorithm>
#include <exception>
#include <system_error>
#include <utility>

#include "green/hub.hpp"

namespace green {
namespace {

constexpr int kBacklog = 1024;  // the kernel caps it at net.core.somaxconn
// Back-off after a failed accept (EMFILE, ENOBUFS, ...), doubling up to the max
// (gevent's min_delay / max_delay), so a persistent failure cannot spin the hub.
constexpr double kMinDelay = 0.01;
constexpr double kMaxDelay = 1.0;

// The listener itself is gone or broken: accepting again cannot succeed.
bool is_fatal(const std::system_error& error) {
  int code = error.code().value();
  return code == EBADF || code == EINVAL || code == ENOTSOCK;
}

}  // namespace

StreamServer::StreamServer(const std::string& address, std::uint16_t port, Handler handler,
                           std::size_t max_connections)
    : address_(address),
      port_(port),
      handler_(std::make_shared<const Handler>(std::move(handler))),
      own_pool_(std::make_shared<Pool>(max_connections)),
      pool_(own_pool_.get()) {
  listen();
}

StreamServer::StreamServer(const std::string& address, std::uint16_t port, Handler handler,
                           Pool& pool)
    : address_(address),
      port_(port),
      handler_(std::make_shared<const Handler>(std::move(handler))),
      pool_(&pool) {
  listen();
}

StreamServer::~StreamServer() {
  Hub* hub = Hub::current_if_any();
  if (hub != nullptr && !hub->in_hub()) {
    try {
      stop(0.0);
      return;
    } catch (...) {
      // A kill or Timeout hit the destroying greenlet while it waited: finish
      // without waiting, and hand the exception back at its next switch point.
      hub->throw_into(hub->current_greenlet(), std::current_exception());
    }
  }
  // Cannot wait here: signal everything; each unwinds on its next turn. None of
  // them touches this object again (they hold the handler and socket they use).
  started_ = false;
  if (acceptor_) acceptor_->kill(false);
  listener_.close();
  connections_.kill(false);
}

void StreamServer::listen() {
  listener_ = Socket::listen(address_, port_, kBacklog);
  Endpoint local = listener_.local_endpoint();
  address_ = local.address;
  port_ = local.port;
}

void StreamServer::start() {
  if (started_) return;
  if (!listener_.is_open()) listen();
  stopped_.clear();
  started_ = true;
  // The loop keeps our own pool alive: if the server is destroyed where it cannot
  // wait (see ~StreamServer), the loop may still be unwinding out of the pool.
  acceptor_ = green::spawn([this, keep_pool = own_pool_] { accept_loop(); });
  acceptor_->set_name("StreamServer(" + Endpoint{address_, port_}.to_string() + ") accept");
}

void StreamServer::accept_loop() {
  double delay = kMinDelay;
  while (true) {
    // gevent's "while the pool is full, no new connections are accepted": they
    // wait in the backlog rather than in our memory.
    pool_->wait_available();
    std::pair<Socket, Endpoint> accepted;
    try {
      accepted = listener_.accept();
    } catch (const std::system_error& error) {
      Hub& hub = Hub::current();
      hub.handle_error(getcurrent(), std::current_exception());
      if (is_fatal(error)) return;
      green::sleep(delay);
      delay = std::min(kMaxDelay, delay * 2);
      continue;
    }
    delay = kMinDelay;
    spawn_handler(std::make_shared<Socket>(std::move(accepted.first)), std::move(accepted.second));
  }
}

void StreamServer::spawn_handler(std::shared_ptr<Socket> connection, Endpoint peer) {
  // Greenlet bodies must be copyable (std::function): the socket travels shared.
  auto greenlet = pool_->spawn([handler = handler_, connection, peer] {
    struct CloseOnExit {
      Socket& socket;
      ~CloseOnExit() { socket.close(); }
    } close_on_exit{*connection};
    (*handler)(*connection, peer);
  });
  connections_.add(greenlet);
}

void StreamServer::stop(std::optional<double> timeout) {
  started_ = false;
  if (acceptor_) {
    Greenlet::Ptr acceptor = std::move(acceptor_);
    acceptor->kill();  // blocked in accept or waiting for a slot: dies at once
  }
  listener_.close();
  Greenlet& self = getcurrent();
  if (connections_.contains(self)) connections_.discard(self);  // stop() from a handler
  if (!connections_.join(timeout.value_or(kStopTimeout))) {
    // gevent's pool.kill(block=True, timeout=1): a handler that swallows
    // GreenletExit and blocks again is left behind rather than hanging stop().
    connections_.kill(true, kStopTimeout);
  }
  stopped_.set();
}

void StreamServer::serve_forever(std::optional<double> stop_timeout) {
  start();
  try {
    stopped_.wait();
  } catch (...) {
    stop(stop_timeout);
    throw;
  }
}

}  // namespace green
