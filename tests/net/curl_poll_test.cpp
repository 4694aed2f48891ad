// gfetch's poll() (net/detail/curl_poll.hpp): which polls the hub answers, which
// go to the kernel, and that libcurl's own polls of keep-alive connections reach
// it and are answered by the hub, with the connection still reused every time.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "green/green.hpp"
#include "net/client.hpp"
#include "net/detail/curl_poll.hpp"
#include "support/http_server.hpp"

using gfetch::net::Client;
using gfetch::net::Request;
using gfetch::net::Response;
namespace curl_poll = gfetch::net::detail::curl_poll;

namespace {

// A connected pair whose first end has a byte to read: the kernel's poll says
// readable, so a 0 from poll() can only be the hub's answer.
struct ReadablePair {
  ReadablePair() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()) == 0);
    REQUIRE(::write(fds[1], "x", 1) == 1);
  }
  ~ReadablePair() {
    curl_poll::set_watched_for_input(fds[0], false);
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int poll_input(short events = POLLIN, int timeout = 0) const {
    pollfd entry{fds[0], events, 0};
    return ::poll(&entry, 1, timeout);
  }
  std::array<int, 2> fds{};
};

}  // namespace

TEST_CASE("a zero-timeout input poll of a socket the hub watches is the hub's to answer",
          "[curl_poll]") {
  ReadablePair pair;
  REQUIRE(pair.poll_input() == 1);  // not watched: the kernel's answer

  curl_poll::set_watched_for_input(pair.fds[0], true);
  const curl_poll::Counts before = curl_poll::counts();
  // Nothing the hub has not reported yet: its next turn will (level-triggered).
  CHECK(pair.poll_input() == 0);
  CHECK(pair.poll_input(POLLIN | POLLRDNORM | POLLPRI) == 0);
  CHECK(curl_poll::counts().answered == before.answered + 2);

  // Everything else is the kernel's.
  CHECK(pair.poll_input(POLLIN, 1) == 1);         // a timeout
  CHECK(pair.poll_input(POLLIN | POLLOUT) == 1);  // output asked for too
  {
    const curl_poll::HandlingEvent handling(pair.fds[0]);  // libcurl reads it now
    CHECK(pair.poll_input() == 1);
  }
  std::array<pollfd, 2> both{pollfd{pair.fds[0], POLLIN, 0}, pollfd{pair.fds[0], POLLIN, 0}};
  CHECK(::poll(both.data(), both.size(), 0) == 2);  // more than one socket
  CHECK(curl_poll::counts().answered == before.answered + 2);

  CHECK(pair.poll_input() == 0);  // after the event: the hub's again
  curl_poll::set_watched_for_input(pair.fds[0], false);
  CHECK(pair.poll_input() == 1);
}

TEST_CASE("an event being handled on one socket leaves other sockets' polls to the hub",
          "[curl_poll]") {
  ReadablePair handled;
  ReadablePair other;
  curl_poll::set_watched_for_input(handled.fds[0], true);
  curl_poll::set_watched_for_input(other.fds[0], true);
  const curl_poll::HandlingEvent handling(handled.fds[0]);
  CHECK(handled.poll_input() == 1);
  CHECK(other.poll_input() == 0);
}

TEST_CASE("libcurl's polls of a reused connection are answered by the hub", "[curl_poll]") {
  // Per request on a kept-alive connection, libcurl 7.88 checks that the idle
  // connection is alive and, once the request is sent, whether the response is
  // there: both reach gfetch's poll() and neither needs the kernel.
  constexpr int kFetches = 50;
  testing::HttpServer server;
  green::Hub hub;
  Client client(hub);
  Request request;
  request.url = server.url("/bytes/1000");
  REQUIRE(client.fetch(request).ok());  // opens the connection
  const curl_poll::Counts before = curl_poll::counts();
  for (int i = 0; i < kFetches; ++i) {
    Response response = client.fetch(request);
    REQUIRE(response.ok());
    CHECK(response.bytes_received == 1000);
  }
  const curl_poll::Counts after = curl_poll::counts();
  CHECK(after.answered - before.answered >= 2 * kFetches);
  CHECK(after.passed_on - before.passed_on == 0);
  CHECK(client.stats().connections_opened == 1);
  CHECK(server.stats().connections == 1);
}
