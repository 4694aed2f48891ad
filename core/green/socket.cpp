// Socket: non-blocking syscalls first; on EAGAIN the calling greenlet parks on the
// fd's IoWatcher (started only while someone waits) until ready, closed, killed or
// past the call's deadline on the hub clock.
#include "green/socket.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "green/exceptions.hpp"
#include "green/hub.hpp"
#include "green/io.hpp"
#include "green/waiter.hpp"

namespace green {

struct Socket::State {
  int fd = -1;
  int family = 0;
  std::string name;  // the peer ("connect to", "recv from") or the bound address
  // One watcher per direction, created on the first wait and started only while a
  // greenlet waits, so an idle socket neither keeps the loop alive nor spins.
  std::optional<IoWatcher> read_watcher;
  std::optional<IoWatcher> write_watcher;
  Waiter* reader = nullptr;  // at most one greenlet waits per direction
  Waiter* writer = nullptr;

  State(int fd_in, int family_in) : fd(fd_in), family(family_in) {}
  ~State() { close(); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void close() noexcept {
    if (fd < 0) return;
    // Unregister from libevent before the fd number can be reused.
    if (read_watcher) read_watcher->stop();
    if (write_watcher) write_watcher->stop();
    ::close(fd);
    fd = -1;
    if (reader != nullptr) reader->wake();
    if (writer != nullptr) writer->wake();
  }
};

namespace {

// A parsed numeric address, ready for bind/connect.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}

std::string strip_brackets(const std::string& address) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    return address.substr(1, address.size() - 2);
  }
  return address;
}

// inet_pton only: a numeric literal never blocks on a lookup. IPv6 may carry a
// zone ("fe80::1%eth0" or "%2").
SocketAddress parse_address(const std::string& address, std::uint16_t port,
                            const std::string& operation) {
  std::string host = strip_brackets(address);
  SocketAddress result;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    result.length = sizeof(sockaddr_in);
    return result;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
  std::string zone;
  if (std::size_t percent = host.find('%'); percent != std::string::npos) {
    zone = host.substr(percent + 1);
    host.resize(percent);
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    if (!zone.empty()) {
      unsigned index = if_nametoindex(zone.c_str());
      if (index == 0) index = static_cast<unsigned>(std::strtoul(zone.c_str(), nullptr, 10));
      if (index == 0) throw_errno(EINVAL, operation + ": unknown IPv6 zone '" + zone + "'");
      v6->sin6_scope_id = index;
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    result.length = sizeof(sockaddr_in6);
    return result;
  }
  throw_errno(EINVAL, operation + ": not a numeric IP address");
}

Endpoint to_endpoint(const sockaddr_storage& storage) {
  char text[INET6_ADDRSTRLEN] = {};
  Endpoint endpoint;
  if (storage.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    endpoint.port = ntohs(v4->sin_port);
  } else if (storage.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    endpoint.port = ntohs(v6->sin6_port);
  }
  endpoint.address = text;
  return endpoint;
}

std::optional<double> deadline_after(std::optional<double> timeout) {
  if (!timeout) return std::nullopt;
  return Hub::current().now() + *timeout;
}

}  // namespace

std::string Endpoint::to_string() const {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

SocketTimeout::SocketTimeout(const std::string& what)
    : std::system_error(std::make_error_code(std::errc::timed_out), what) {}

Socket::Socket() noexcept = default;
Socket::Socket(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}
Socket::~Socket() {
  close();
}
Socket::Socket(Socket&& other) noexcept = default;

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    state_ = std::move(other.state_);
  }
  return *this;
}

void Socket::close() noexcept {
  if (state_) state_->close();
  state_.reset();
}

bool Socket::is_open() const noexcept {
  return state_ && state_->fd >= 0;
}
int Socket::fd() const noexcept {
  return is_open() ? state_->fd : -1;
}
int Socket::family() const noexcept {
  return is_open() ? state_->family : 0;
}

Socket::State& Socket::open_state(const char* operation) const {
  if (!is_open()) throw_errno(EBADF, std::string(operation) + ": socket is closed");
  return *state_;
}

void Socket::wait(int events, std::optional<double> deadline, const char* operation) {
  // Our own reference: if another greenlet destroys this Socket meanwhile, the state
  // (and the slot the closer wakes us through) stays valid until we are back.
  std::shared_ptr<State> state = state_;
  const bool reading = events == IoWatcher::kRead;
  Waiter*& slot = reading ? state->reader : state->writer;
  if (slot != nullptr) {
    throw UsageError(std::string("green: ") + operation + " " + state->name +
                     ": another greenlet is already waiting on this socket");
  }
  std::optional<IoWatcher>& watcher = reading ? state->read_watcher : state->write_watcher;
  if (!watcher) {
    State* raw = state.get();
    watcher.emplace(state->fd, [raw, reading](int) {
      Waiter* waiter = reading ? raw->reader : raw->writer;
      if (waiter != nullptr) waiter->wake();
    });
  }
  std::optional<double> remaining;
  if (deadline) remaining = std::max(0.0, *deadline - Hub::current().now());
  Waiter waiter;
  slot = &waiter;
  watcher->start(events);
  bool woken = false;
  try {
    woken = waiter.wait(remaining);
  } catch (...) {
    // Killed or a green::Timeout: the fd watch goes with us.
    slot = nullptr;
    watcher->stop();
    throw;
  }
  slot = nullptr;
  watcher->stop();
  if (state->fd < 0)
    throw_errno(EBADF, std::string(operation) + " " + state->name + ": socket closed");
  if (!woken) throw SocketTimeout(std::string(operation) + " " + state->name + ": timed out");
}

Socket Socket::connect(const std::string& address, std::uint16_t port,
                       std::optional<double> timeout) {
  std::optional<double> deadline = deadline_after(timeout);
  const std::string name = Endpoint{strip_brackets(address), port}.to_string();
  SocketAddress target = parse_address(address, port, "connect to " + name);
  int fd = ::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, "connect to " + name + ": socket");
  Socket socket(std::make_shared<State>(fd, target.family()));
  socket.state_->name = name;
  if (::connect(fd, target.get(), target.length) == 0) return socket;
  // EINTR on a non-blocking connect: it goes on asynchronously, like EINPROGRESS.
  if (errno != EINPROGRESS && errno != EINTR) throw_errno(errno, "connect to " + name);
  socket.wait(IoWatcher::kWrite, deadline, "connect to");
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) throw_errno(error, "connect to " + name);
  return socket;
}

Socket Socket::listen(const std::string& address, std::uint16_t port, int backlog) {
  const std::string name = Endpoint{strip_brackets(address), port}.to_string();
  SocketAddress local = parse_address(address, port, "listen on " + name);
  int fd = ::socket(local.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, "listen on " + name + ": socket");
  Socket socket(std::make_shared<State>(fd, local.family()));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd, local.get(), local.length) != 0) throw_errno(errno, "bind to " + name);
  if (::listen(fd, backlog) != 0) throw_errno(errno, "listen on " + name);
  socket.state_->name = socket.local_endpoint().to_string();
  return socket;
}

std::pair<Socket, Endpoint> Socket::accept(std::optional<double> timeout) {
  State& state = open_state("accept");
  std::optional<double> deadline = deadline_after(timeout);
  while (true) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = ::accept4(state.fd, reinterpret_cast<sockaddr*>(&peer), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Endpoint endpoint = to_endpoint(peer);
      Socket connection(std::make_shared<State>(fd, peer.ss_family));
      connection.state_->name = endpoint.to_string();
      return {std::move(connection), std::move(endpoint)};
    }
    // A connection reset while queued is not the listener's failure.
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw_errno(errno, "accept on " + state.name);
    wait(IoWatcher::kRead, deadline, "accept on");
  }
}

std::size_t Socket::recv(std::span<char> buffer, std::optional<double> timeout) {
  State& state = open_state("recv");
  std::optional<double> deadline = deadline_after(timeout);
  while (true) {
    ssize_t received = ::recv(state.fd, buffer.data(), buffer.size(), 0);
    if (received >= 0) return static_cast<std::size_t>(received);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw_errno(errno, "recv from " + state.name);
    wait(IoWatcher::kRead, deadline, "recv from");
  }
}

std::string Socket::recv(std::size_t max_bytes, std::optional<double> timeout) {
  std::string data(max_bytes, '\0');
  data.resize(recv(std::span<char>(data.data(), data.size()), timeout));
  return data;
}

std::size_t Socket::send(std::string_view data, std::optional<double> timeout) {
  State& state = open_state("send");
  std::optional<double> deadline = deadline_after(timeout);
  while (true) {
    ssize_t sent = ::send(state.fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw_errno(errno, "send to " + state.name);
    wait(IoWatcher::kWrite, deadline, "send to");
  }
}

void Socket::sendall(std::string_view data, std::optional<double> timeout) {
  State& state = open_state("sendall");
  std::optional<double> deadline = deadline_after(timeout);
  while (!data.empty()) {
    ssize_t sent = ::send(state.fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw_errno(errno, "send to " + state.name);
    wait(IoWatcher::kWrite, deadline, "send to");
  }
}

void Socket::shutdown(Shutdown how) {
  State& state = open_state("shutdown");
  int mode = how == Shutdown::read ? SHUT_RD : how == Shutdown::write ? SHUT_WR : SHUT_RDWR;
  if (::shutdown(state.fd, mode) != 0) throw_errno(errno, "shutdown of " + state.name);
}

Endpoint Socket::local_endpoint() const {
  State& state = open_state("getsockname");
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(state.fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    throw_errno(errno, "getsockname of " + state.name);
  }
  return to_endpoint(local);
}

Endpoint Socket::peer_endpoint() const {
  State& state = open_state("getpeername");
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (getpeername(state.fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    throw_errno(errno, "getpeername of " + state.name);
  }
  return to_endpoint(peer);
}

}  // namespace green
