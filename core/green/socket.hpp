// Cooperative TCP sockets (gevent.socket): an RAII, non-blocking fd whose blocking
// calls (connect, accept, recv, send, sendall) suspend only the calling greenlet
// until the fd is ready or the call's timeout passes. IPv4 and IPv6; addresses are
// numeric literals only (no name lookup here: DNS belongs to net's c-ares channel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace green {

// An IP address (numeric literal, no brackets) and a port.
struct Endpoint {
  std::string address;
  std::uint16_t port = 0;
  // "127.0.0.1:80", "[::1]:80": the form error messages use.
  std::string to_string() const;
};

// A socket call's own timeout expired (gevent's socket.timeout). It is a
// std::system_error with code std::errc::timed_out, so generic error handling sees
// an I/O failure; catch SocketTimeout to tell a deadline from other errors. Unlike
// green::TimeoutError (thrown by a green::Timeout), it says nothing about the
// greenlet's own deadlines. The socket stays usable: the call may be retried.
class SocketTimeout : public std::system_error {
 public:
  explicit SocketTimeout(const std::string& what);
};

// One greenlet at a time may wait to read, and one to write, on a socket (a second
// concurrent waiter is a UsageError, as gevent's ConcurrentObjectUseError). A
// Socket binds to this thread's hub on its first wait and must not outlive it.
class Socket {
 public:
  enum class Shutdown { read, write, both };

  // A closed socket (fd() == -1); connect/listen/accept produce open ones.
  Socket() noexcept;
  // Closes the fd. A greenlet still blocked on this socket is woken and its call
  // throws std::system_error(EBADF) (gevent's cancel_wait on close).
  ~Socket();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Connects to address:port (IPv4 or IPv6 literal, "[::1]" accepted). Throws
  // std::system_error naming "connect to <address>:<port>" (ECONNREFUSED, ...), or
  // SocketTimeout after `timeout` seconds on the hub clock.
  static Socket connect(const std::string& address, std::uint16_t port,
                        std::optional<double> timeout = {});
  // Binds to address:port (port 0: an ephemeral port, see local_port()) with
  // SO_REUSEADDR and listens. "0.0.0.0" / "::" listen on every address.
  static Socket listen(const std::string& address, std::uint16_t port, int backlog = 128);

  // Waits for a connection on a listening socket. Returns the connected socket and
  // the peer's address.
  std::pair<Socket, Endpoint> accept(std::optional<double> timeout = {});

  // Receives at most buffer.size() bytes; 0 means the peer closed its side (EOF).
  // Waits only when nothing is buffered.
  std::size_t recv(std::span<char> buffer, std::optional<double> timeout = {});
  // Same, returning what was received (empty at EOF).
  std::string recv(std::size_t max_bytes, std::optional<double> timeout = {});
  // Sends some of `data` (waiting until at least one byte can go); returns how many.
  // Never raises SIGPIPE: a closed peer is std::system_error(EPIPE or ECONNRESET).
  std::size_t send(std::string_view data, std::optional<double> timeout = {});
  // Sends all of `data`. `timeout` bounds the whole call (as in Python 3.5+); on
  // SocketTimeout an unknown prefix of `data` has been sent.
  void sendall(std::string_view data, std::optional<double> timeout = {});

  // shutdown(2): half-closes the connection, e.g. Shutdown::write sends EOF.
  void shutdown(Shutdown how = Shutdown::both);
  // Closes the fd now (idempotent); waiters on it are woken with EBADF.
  void close() noexcept;

  bool is_open() const noexcept;
  int fd() const noexcept;
  // AF_INET or AF_INET6 (0 when closed).
  int family() const noexcept;
  // The bound address and port (getsockname), e.g. the ephemeral port after
  // listen(address, 0).
  Endpoint local_endpoint() const;
  std::string local_address() const { return local_endpoint().address; }
  std::uint16_t local_port() const { return local_endpoint().port; }
  // The connected peer (getpeername); throws std::system_error(ENOTCONN) if none.
  Endpoint peer_endpoint() const;

 private:
  struct State;  // fd, description for messages, the fd's watchers and waiters
  explicit Socket(std::shared_ptr<State> state) noexcept;
  void wait(int events, std::optional<double> deadline, const char* operation);
  State& open_state(const char* operation) const;

  std::shared_ptr<State> state_;
};

}  // namespace green
