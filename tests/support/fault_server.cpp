// testing::FaultServer (see fault_server.hpp): a poll() loop over non-blocking
// sockets. Each connection reads one request, picks its fault from the path and
// then runs a small state machine: write, hold, wait, close or reset.
#include "support/fault_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <system_error>
#include <vector>

#include "support/content.hpp"

namespace testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxRequest = 64 * 1024;
constexpr std::uint64_t kDeclaredBody = 1 << 20;            // Content-Length of partial bodies
constexpr std::size_t kPartialBody = 4096;                  // body bytes sent before the cut
constexpr auto kCutDelay = std::chrono::milliseconds(100);  // pause before RST / FIN
constexpr std::uint64_t kEndlessHeaderBytes = std::uint64_t{100} << 20;
constexpr std::size_t kRefill = 64 * 1024;

constexpr std::array<std::string_view, kFaultCount> kPaths = {
    "/silent",         "/stall-after-headers",  "/reset-mid-body",
    "/close-mid-body", "/close-before-headers", "/bad-status-line",
    "/bad-headers",    "/endless-body",         "/endless-headers"};

std::optional<Fault> fault_for(std::string_view path) {
  for (std::size_t i = 0; i < kPaths.size(); ++i) {
    if (kPaths[i] == path) return static_cast<Fault>(i);
  }
  return std::nullopt;
}

// What a connection does once its output buffer is drained.
enum class Then { close, reset, hold, more_body, more_headers };

struct Conn {
  int fd = -1;
  bool reading = true;  // still reading the request
  std::string in;
  std::string out;
  std::size_t out_pos = 0;
  Then then = Then::close;
  std::uint64_t produced = 0;               // endless faults: bytes generated so far
  std::optional<Clock::time_point> cut_at;  // close/reset when this time comes
};

void close_conn(Conn& c, bool reset) {
  if (c.fd < 0) return;
  if (reset) {
    linger hard{1, 0};  // close() now sends RST instead of FIN
    ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  ::close(c.fd);
  c.fd = -1;
}

std::string partial_body_response() {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(kDeclaredBody) + "\r\n\r\n" + pattern(kPartialBody);
}

// Sets up the connection's response for `fault` (or a 404 for an unknown path).
void start_fault(Conn& c, std::optional<Fault> fault) {
  c.reading = false;
  c.in.clear();
  if (!fault) {
    c.out = "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n";
    c.then = Then::close;
    return;
  }
  switch (*fault) {
    case Fault::silent:
      c.then = Then::hold;
      break;
    case Fault::stall_after_headers:
      c.out = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
              std::to_string(kDeclaredBody) + "\r\n\r\n";
      c.then = Then::hold;
      break;
    case Fault::reset_mid_body:
      c.out = partial_body_response();
      c.then = Then::reset;
      break;
    case Fault::close_mid_body:
      c.out = partial_body_response();
      c.then = Then::close;
      break;
    case Fault::close_before_headers:
      c.then = Then::close;
      break;
    case Fault::bad_status_line:
      c.out = "HTTP/1.1 2x0 Broken\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      c.then = Then::close;
      break;
    case Fault::bad_headers:
      c.out = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nThis line has no colon\r\n\r\nok";
      c.then = Then::close;
      break;
    case Fault::endless_body:
      c.out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          "Connection: close\r\n\r\n";
      c.then = Then::more_body;
      break;
    case Fault::endless_headers:
      c.out = "HTTP/1.1 200 OK\r\n";
      c.then = Then::more_headers;
      break;
  }
  // The partial-body cuts wait a little so the client surely reads the bytes first.
  if (*fault == Fault::reset_mid_body || *fault == Fault::close_mid_body) {
    c.cut_at = Clock::time_point::max();  // armed once the output is drained
  }
}

// Refills the output of an endless fault; false when there is nothing more to generate.
bool refill(Conn& c) {
  c.out.clear();
  c.out_pos = 0;
  if (c.then == Then::more_body) {
    std::string_view block = pattern_block();
    std::size_t start = c.produced % 26;
    c.out.assign(block.substr(start, std::min(kRefill, block.size() - start)));
    c.produced += c.out.size();
    return true;
  }
  if (c.produced >= kEndlessHeaderBytes) {
    c.out = "\r\n";
    c.then = Then::close;
    return true;
  }
  char name[32];
  while (c.out.size() < kRefill) {
    std::snprintf(name, sizeof name,
                  "X-Filler-%010llu: ", static_cast<unsigned long long>(c.produced / 1000));
    c.out.append(name).append(1000 - 2 - std::string_view(name).size(), 'x').append("\r\n");
    c.produced += 1000;
  }
  return true;
}

}  // namespace

std::string_view fault_path(Fault fault) {
  return kPaths[static_cast<std::size_t>(fault)];
}

struct FaultServer::Loop {
  FaultServer& server;
  std::vector<Conn> conns;

  void accept_all() {
    for (;;) {
      int fd = ::accept4(server.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a transient error: poll again
      ++server.connections_;
      Conn& c = conns.emplace_back();
      c.fd = fd;
    }
  }

  void on_readable(Conn& c) {
    char buf[4096];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return close_conn(c, false);
    if (n < 0 || !c.reading) return;  // held connections: ignore what the client sends
    std::size_t from = c.in.size() < 3 ? 0 : c.in.size() - 3;
    c.in.append(buf, static_cast<std::size_t>(n));
    if (c.in.find("\r\n\r\n", from) == std::string::npos) {
      if (c.in.size() > kMaxRequest) close_conn(c, false);
      return;
    }
    // "GET /path?query HTTP/1.1": the fault is chosen by the path.
    std::size_t sp = c.in.find(' ');
    std::size_t end = c.in.find_first_of(" ?\r", sp + 1);
    std::string_view path = sp == std::string::npos || end == std::string::npos
                                ? std::string_view()
                                : std::string_view(c.in).substr(sp + 1, end - sp - 1);
    std::optional<Fault> fault = fault_for(path);
    if (fault) ++server.hits_[static_cast<std::size_t>(*fault)];
    start_fault(c, fault);
    on_writable(c);
  }

  void on_writable(Conn& c) {
    while (c.fd >= 0) {
      if (c.out_pos == c.out.size()) {
        if ((c.then == Then::more_body || c.then == Then::more_headers) && refill(c)) continue;
        return drained(c);
      }
      ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        return close_conn(c, false);
      }
      c.out_pos += static_cast<std::size_t>(n);
    }
  }

  void drained(Conn& c) {
    c.out.clear();
    c.out_pos = 0;
    if (c.then == Then::hold) return;
    if (c.cut_at) {
      if (*c.cut_at == Clock::time_point::max()) c.cut_at = Clock::now() + kCutDelay;
      return;  // cut by expire()
    }
    close_conn(c, c.then == Then::reset);
  }

  void expire(Clock::time_point now) {
    for (Conn& c : conns) {
      if (c.fd >= 0 && c.cut_at && *c.cut_at <= now) close_conn(c, c.then == Then::reset);
    }
  }

  int poll_timeout(Clock::time_point now) const {
    auto next = Clock::time_point::max();
    for (const Conn& c : conns) {
      if (c.fd >= 0 && c.cut_at) next = std::min(next, *c.cut_at);
    }
    if (next == Clock::time_point::max()) return -1;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 1000));
  }
};

FaultServer::FaultServer(ServerOptions options) : options_(std::move(options)) {
  listen_fd_ = listen_tcp(options_);
  port_ = local_port(listen_fd_);
  if (::pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    int saved = errno;
    ::close(listen_fd_);
    throw std::system_error(saved, std::generic_category(), "FaultServer: pipe2");
  }
  thread_ = std::thread([this] { run(); });
}

FaultServer::~FaultServer() {
  stop();
}

void FaultServer::stop() {
  if (!thread_.joinable()) return;
  char byte = 0;
  while (::write(wake_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  for (int* fd : {&listen_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
    ::close(*fd);
    *fd = -1;
  }
}

std::string FaultServer::authority() const {
  return url_authority(host(), port());
}
std::string FaultServer::base_url() const {
  return "http://" + authority();
}
std::string FaultServer::url(Fault fault) const {
  return base_url() + std::string(fault_path(fault));
}

void FaultServer::run() noexcept {
  block_sigpipe_on_this_thread();
  Loop loop{*this, {}};
  std::vector<pollfd> fds;
  try {
    for (;;) {
      fds.assign({{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}});
      for (const Conn& c : loop.conns) {
        bool waiting_cut = c.cut_at && c.out_pos == c.out.size();
        short events = c.reading || c.then == Then::hold || waiting_cut ? POLLIN : POLLOUT;
        fds.push_back({c.fd, events, 0});
      }
      if (::poll(fds.data(), fds.size(), loop.poll_timeout(Clock::now())) < 0 && errno != EINTR) {
        break;
      }
      if (fds[0].revents != 0) break;  // stop()
      for (std::size_t i = 0; i < loop.conns.size(); ++i) {
        Conn& c = loop.conns[i];
        short revents = fds[i + 2].revents;
        if (c.fd < 0 || revents == 0) continue;
        if (revents & POLLOUT) {
          loop.on_writable(c);
        } else {
          loop.on_readable(c);  // also reports POLLHUP/POLLERR as EOF or an error
        }
      }
      loop.expire(Clock::now());
      std::erase_if(loop.conns, [](const Conn& c) { return c.fd < 0; });
      if (fds[1].revents != 0) loop.accept_all();
    }
  } catch (...) {  // allocation failure: stop serving rather than terminate the test binary
  }
  for (Conn& c : loop.conns) close_conn(c, false);
}

}  // namespace testing
