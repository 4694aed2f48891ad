// The client acknowledges a large burst of an unfinished body at once
// (detail::wants_ack_now, Multi::acknowledge_now): a server whose send buffer that
// burst filled need not wait for Linux's delayed ACK, 40 ms at the least
// (TCP_DELACK_MIN), before it can send the rest. The server here measures, per
// response, how long its burst stayed unacknowledged.
#include <catch2/catch.hpp>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "green/green.hpp"
#include "net/client.hpp"
#include "net/detail/transfer.hpp"
#include "support/loopback.hpp"

using gfetch::net::Client;
using gfetch::net::Request;
using gfetch::net::Response;
using gfetch::net::detail::kAckBurst;
using gfetch::net::detail::wants_ack_now;

namespace {

// One keep-alive connection on its own thread, blocking I/O. Each request is
// answered with headers and `burst` body bytes; then the server watches its send
// queue (SIOCOUTQ: bytes not yet acknowledged) until it is empty, records how long
// that took, and sends the rest of the `body` bytes.
class BurstServer {
 public:
  BurstServer(std::size_t body, std::size_t burst)
      : body_(body), burst_(burst), listen_fd_(testing::listen_tcp({}, 4)) {
    port_ = testing::local_port(listen_fd_);
    thread_ = std::thread([this] { serve(); });
  }
  ~BurstServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  BurstServer(const BurstServer&) = delete;
  BurstServer& operator=(const BurstServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/burst"; }

  // Seconds each response's burst waited for its ACK; read once the client is done
  // (the server thread has finished by then: the client closed the connection).
  const std::vector<double>& ack_delays() {
    if (thread_.joinable()) thread_.join();
    return ack_delays_;
  }

 private:
  void serve() noexcept {
    testing::block_sigpipe_on_this_thread();
    pollfd listening{listen_fd_, POLLIN, 0};
    if (::poll(&listening, 1, 10'000) != 1) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string request;
    char buffer[4096];
    const std::string body(body_, 'x');
    const std::string headers =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_) + "\r\n\r\n";
    for (;;) {
      std::size_t end;
      while ((end = request.find("\r\n\r\n")) == std::string::npos) {
        ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) {
          ::close(fd);
          return;
        }
        request.append(buffer, static_cast<std::size_t>(got));
      }
      request.erase(0, end + 4);
      if (!write_all(fd, headers + body.substr(0, burst_))) break;
      const auto sent = std::chrono::steady_clock::now();
      int unacknowledged = 1;
      while (::ioctl(fd, SIOCOUTQ, &unacknowledged) == 0 && unacknowledged > 0 &&
             std::chrono::steady_clock::now() - sent < std::chrono::seconds(2)) {
        std::this_thread::yield();
      }
      ack_delays_.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count());
      if (!write_all(fd, body.substr(burst_))) break;
    }
    ::close(fd);
  }

  static bool write_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t wrote = ::send(fd, bytes.data() + done, bytes.size() - done, 0);
      if (wrote <= 0) return false;
      done += static_cast<std::size_t>(wrote);
    }
    return true;
  }

  std::size_t body_;
  std::size_t burst_;
  int listen_fd_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::vector<double> ack_delays_;
};

}  // namespace

TEST_CASE("only a large burst of an unfinished body asks for an ACK at once", "[client]") {
  CHECK(wants_ack_now(kAckBurst, kAckBurst, 2 * kAckBurst));
  CHECK(wants_ack_now(kAckBurst, kAckBurst, -1));  // length unknown: more may come
  CHECK_FALSE(wants_ack_now(kAckBurst, 2 * kAckBurst, 2 * kAckBurst));      // complete
  CHECK_FALSE(wants_ack_now(kAckBurst - 1, kAckBurst - 1, 2 * kAckBurst));  // small
  CHECK_FALSE(wants_ack_now(1024, 1024, -1));
}

TEST_CASE("a burst that leaves the body unfinished is acknowledged before the delayed-ACK timer",
          "[client]") {
  // Each request after the first follows its response at once: Linux then
  // delays ACKs (interactive mode), and a loopback burst of 48 KiB is a single
  // segment, which no rule acknowledges before the timer. On the first response
  // of a connection (quick-ACK mode) the kernel acknowledges by itself.
  constexpr int kResponses = 6;
  BurstServer server(64 * 1024, 48 * 1024);
  {
    green::Hub hub;
    Client client(hub);
    Request request;
    request.url = server.url();
    for (int i = 0; i < kResponses; ++i) {
      Response response = client.fetch(request);
      REQUIRE(response.ok());
      CHECK(response.bytes_received == 64 * 1024);
    }
  }
  const std::vector<double>& delays = server.ack_delays();
  REQUIRE(delays.size() == kResponses);
  // Without the early ACK each of them waits 40 ms or more (TCP_DELACK_MIN). With
  // it, one may still be late if this process was descheduled just then.
  int late = 0;
  for (double delay : delays) late += delay >= 0.030 ? 1 : 0;
  INFO("seconds each burst waited for its ACK: " << Catch::Detail::stringify(delays));
  CHECK(late <= 1);
}
