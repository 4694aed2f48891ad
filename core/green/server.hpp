// StreamServer: a TCP server that runs each accepted connection's handler in its
// own greenlet, bounded by a green::Pool (gevent.server.StreamServer). The accept
// loop is a greenlet too; stop() stops accepting, closes the listener, gives the
// handlers a grace period, then kills the ones still running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "green/event.hpp"
#include "green/greenlet.hpp"
#include "green/group.hpp"
#include "green/pool.hpp"
#include "green/socket.hpp"

namespace green {

class StreamServer {
 public:
  // Runs in the connection's greenlet. The connection is closed when it returns
  // (or throws: the exception is stored on the greenlet and reported by the hub's
  // error handler, like any greenlet's).
  using Handler = std::function<void(Socket& connection, const Endpoint& peer)>;

  // gevent's stop_timeout: the default grace period of stop().
  static constexpr double kStopTimeout = 1.0;

  // Listens on address:port right away (port 0: ephemeral, see port()), so bind
  // errors throw here (std::system_error), but accepts nothing before start().
  // At most `max_connections` handlers run at once (an own Pool of that size);
  // while it is full the server stops accepting and connections wait in the
  // kernel's backlog.
  StreamServer(const std::string& address, std::uint16_t port, Handler handler,
               std::size_t max_connections = 10000);
  // Same, with handlers spawned into a shared `pool`, which must outlive the server.
  // stop() waits for and kills only this server's handlers.
  StreamServer(const std::string& address, std::uint16_t port, Handler handler, Pool& pool);
  // stop(0): kills the handlers still running and waits for them to die. Where it
  // cannot wait (in a hub callback, or interrupted by a kill) it only signals
  // them; they unwind on their next turn without touching the destroyed server.
  ~StreamServer();
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  // Starts the accept loop in its own greenlet and returns. After stop(), listens
  // again on the same address and port first. Does nothing if already started.
  void start();
  // start() if needed, then waits until stop() has finished. If the waiting
  // greenlet is killed (or a Timeout fires), it stops the server itself with
  // `stop_timeout`, then lets the exception continue.
  void serve_forever(std::optional<double> stop_timeout = {});
  // Stops accepting and closes the listener (new connects are refused), then waits
  // up to `timeout` (default kStopTimeout) seconds for the running handlers to
  // return, then kills the rest and waits for them to die. May be called from a
  // handler: that handler is neither waited for nor killed. Idempotent.
  void stop(std::optional<double> timeout = {});

  bool started() const noexcept { return started_; }
  // The address and port the server listens on (the real port when 0 was asked).
  const std::string& address() const noexcept { return address_; }
  std::uint16_t port() const noexcept { return port_; }
  // Handlers of this server currently running.
  std::size_t connections() const noexcept { return connections_.size(); }
  Pool& pool() noexcept { return *pool_; }

 private:
  void listen();
  void accept_loop();
  void spawn_handler(std::shared_ptr<Socket> connection, Endpoint peer);

  std::string address_;
  std::uint16_t port_;
  std::shared_ptr<const Handler> handler_;  // shared with running handler greenlets
  std::shared_ptr<Pool> own_pool_;          // also held by the accept loop while it unwinds
  Pool* pool_;
  Group connections_;  // this server's handler greenlets (also members of *pool_)
  Socket listener_;
  Greenlet::Ptr acceptor_;
  Event stopped_;  // set once stop() finished; serve_forever waits on it
  bool started_ = false;
};

}  // namespace green
