// The client acknowledges every 16 KiB read of an unfinished body at once
// (detail::wants_ack_now, Multi::acknowledge_now): a server whose send buffer that
// burst filled need not wait for Linux's delayed ACK, 40 ms at the least
// (TCP_DELACK_MIN), before it can send the rest. The server here counts, per
// response, the hub turns its burst stayed unacknowledged.
#include <catch2/catch.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "green/green.hpp"
#include "green/socket.hpp"
#include "net/client.hpp"
#include "net/detail/transfer.hpp"

using gfetch::net::Client;
using gfetch::net::Request;
using gfetch::net::Response;
using gfetch::net::detail::kAckBurst;
using gfetch::net::detail::wants_ack_now;

namespace {

// A keep-alive HTTP server in a greenlet on the fetching hub. Each request is
// answered with headers and `burst` body bytes; then the server counts hub turns
// (green::sleep(0)) until its send queue is empty (SIOCOUTQ: every byte
// acknowledged) and sends the rest of the `body` bytes.
//
// An early ACK goes out inside the client's read of the burst, one or two turns
// after it was sent. A delayed one waits for the kernel's timer, 40 ms: tens of
// thousands of turns. (Were this process descheduled for 40 ms just then, the timer
// would fire first and a missing early ACK would go unnoticed, never the reverse.)
class BurstServer {
 public:
  static constexpr int kMaxTurns = 1'000'000;

  BurstServer(std::size_t body, std::size_t burst)
      : body_(body), burst_(burst), listener_(green::Socket::listen("127.0.0.1", 0)) {
    serving_ = green::spawn([this] { serve(); });
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(listener_.local_port()) + "/burst";
  }

  // Hub turns each response's burst waited for its ACK (-1: SIOCOUTQ failed);
  // once the client is gone.
  const std::vector<int>& turns_to_ack() {
    serving_->join();
    return turns_;
  }

 private:
  void serve() {
    green::Socket connection = listener_.accept(10.0).first;
    const std::string body(body_, 'x');
    const std::string headers =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_) + "\r\n\r\n";
    std::string request;
    for (;;) {
      std::size_t end;
      while ((end = request.find("\r\n\r\n")) == std::string::npos) {
        std::string more = connection.recv(4096, 10.0);
        if (more.empty()) return;  // the client closed the connection
        request += more;
      }
      request.erase(0, end + 4);
      connection.sendall(headers + body.substr(0, burst_), 10.0);
      int turns = 0;
      int unacknowledged = 1;
      for (; turns < kMaxTurns; ++turns) {
        if (::ioctl(connection.fd(), SIOCOUTQ, &unacknowledged) != 0) {
          turns = -1;  // the send queue cannot be read: fail the check, not pass it
          break;
        }
        if (unacknowledged == 0) break;
        green::sleep(0);
      }
      turns_.push_back(turns);
      connection.sendall(std::string_view(body).substr(burst_), 10.0);
    }
  }

  std::size_t body_;
  std::size_t burst_;
  green::Socket listener_;
  green::GreenletPtr<void> serving_;
  std::vector<int> turns_;
};

}  // namespace

TEST_CASE("only 16 KiB read of an unfinished body asks for an ACK at once", "[client]") {
  CHECK(wants_ack_now(kAckBurst, kAckBurst, 2 * kAckBurst));
  CHECK(wants_ack_now(kAckBurst, 5 * kAckBurst, 6 * kAckBurst));  // read since the last ACK
  CHECK(wants_ack_now(kAckBurst, kAckBurst, -1));                 // length unknown: more may come
  CHECK_FALSE(wants_ack_now(kAckBurst, 2 * kAckBurst, 2 * kAckBurst));      // complete
  CHECK_FALSE(wants_ack_now(kAckBurst - 1, kAckBurst - 1, 2 * kAckBurst));  // too little yet
  CHECK_FALSE(wants_ack_now(1024, 1024, -1));
}

TEST_CASE("a burst that leaves the body unfinished is acknowledged before the delayed-ACK timer",
          "[client]") {
  // Each request after the first follows its response at once: Linux then
  // delays ACKs (interactive mode), and a loopback burst of 48 KiB is a single
  // segment, which no rule acknowledges before the timer. On the first response
  // of a connection (quick-ACK mode) the kernel acknowledges by itself.
  // Expecting 2,000 fetches in flight shrinks the receive buffer to 4 KiB: the
  // burst is then read in twelve pieces, none of them 16 KiB.
  const std::size_t in_flight = GENERATE(std::size_t{1}, std::size_t{2000});
  constexpr int kResponses = 6;
  green::Hub hub;
  BurstServer server(64 * 1024, 48 * 1024);
  {
    Client::Options options;
    options.expected_in_flight = in_flight;
    Client client(hub, options);
    Request request;
    request.url = server.url();
    for (int i = 0; i < kResponses; ++i) {
      Response response = client.fetch(request);
      REQUIRE(response.ok());
      CHECK(response.bytes_received == 64 * 1024);
    }
  }
  const std::vector<int>& turns = server.turns_to_ack();
  REQUIRE(turns.size() == kResponses);
  INFO("expected in flight: " << in_flight << "; hub turns each burst waited for its ACK: "
                              << Catch::Detail::stringify(turns));
  for (int waited : turns) CHECK((waited >= 0 && waited <= 3));
}
