// Tests of green::Socket over real loopback TCP (127.0.0.1 and ::1, ephemeral
// ports): echo round trips, 500 concurrent clients, refused connects, timeouts
// measured on the hub clock, EOF, and greenlets killed or woken while blocked.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "green/green.hpp"
#include "green/socket.hpp"

namespace {

// Echoes everything it receives until the peer's EOF, then closes. (Greenlet bodies
// live in a std::function, which must be copyable: sockets travel in shared_ptrs.)
void echo_until_eof(const std::shared_ptr<green::Socket>& connection_ptr) {
  green::Socket& connection = *connection_ptr;
  char buffer[4096];
  while (std::size_t n = connection.recv(std::span<char>(buffer, sizeof buffer))) {
    connection.sendall(std::string_view(buffer, n));
  }
  connection.close();  // now, not when the greenlet (holding its arguments) is freed
}

std::string recv_until_eof(green::Socket& socket, std::optional<double> timeout = {}) {
  std::string all;
  while (true) {
    std::string chunk = socket.recv(65536, timeout);
    if (chunk.empty()) return all;
    all += chunk;
  }
}

// A listener plus the peer of one accepted connection, for tests of one socket.
struct ConnectedPair {
  green::Socket client;
  green::Socket server;
};

ConnectedPair connect_pair(const std::string& address = "127.0.0.1") {
  green::Socket listener = green::Socket::listen(address, 0);
  ConnectedPair pair;
  auto accepting = green::spawn([&] { pair.server = listener.accept(5.0).first; });
  pair.client = green::Socket::connect(address, listener.local_port(), 5.0);
  accepting->get(5.0);
  return pair;
}

void echo_round_trip(const std::string& address) {
  green::Hub hub;
  green::Socket listener = green::Socket::listen(address, 0);
  REQUIRE(listener.local_port() != 0);
  CHECK(listener.local_address() == address);
  auto server = green::spawn([&listener] {
    auto [connection, peer] = listener.accept(5.0);
    CHECK(peer.port != 0);
    echo_until_eof(std::make_shared<green::Socket>(std::move(connection)));
  });
  green::Socket client = green::Socket::connect(address, listener.local_port(), 5.0);
  CHECK(client.peer_endpoint().port == listener.local_port());
  std::string message = "hello from " + address;
  client.sendall(message, 5.0);
  client.shutdown(green::Socket::Shutdown::write);
  CHECK(recv_until_eof(client, 5.0) == message);
  server->get(5.0);
}

}  // namespace

TEST_CASE("echo round trip over IPv4 loopback", "[socket]") {
  echo_round_trip("127.0.0.1");
}

TEST_CASE("echo round trip over IPv6 loopback", "[socket]") {
  echo_round_trip("::1");
}

TEST_CASE("bracketed IPv6 literal and Endpoint formatting", "[socket]") {
  green::Hub hub;
  green::Socket listener = green::Socket::listen("[::1]", 0);
  CHECK(listener.family() != 0);
  green::Endpoint local = listener.local_endpoint();
  CHECK(local.address == "::1");
  CHECK(local.to_string() == "[::1]:" + std::to_string(local.port));
  CHECK(green::Endpoint{"127.0.0.1", 80}.to_string() == "127.0.0.1:80");
}

TEST_CASE("500 concurrent client greenlets each get their own echo", "[socket]") {
  green::Hub hub;
  green::Socket listener = green::Socket::listen("127.0.0.1", 0, 1024);
  const std::uint16_t port = listener.local_port();
  std::vector<green::Greenlet::Ptr> handlers;
  auto acceptor = green::spawn([&] {
    while (true) {
      auto [connection, peer] = listener.accept();
      handlers.push_back(
          green::spawn(echo_until_eof, std::make_shared<green::Socket>(std::move(connection))));
    }
  });
  constexpr int kClients = 500;
  int verified = 0;
  std::vector<green::Greenlet::Ptr> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(green::spawn([&, i] {
      green::Socket socket = green::Socket::connect("127.0.0.1", port, 10.0);
      // Distinct, multi-chunk payloads: a mixed-up or truncated echo shows.
      std::string message = "client " + std::to_string(i) + ":" + std::string(i * 7, 'x');
      socket.sendall(message, 10.0);
      green::sleep(0);  // let the others interleave between send and receive
      std::string echoed;
      while (echoed.size() < message.size()) {
        std::string chunk = socket.recv(4096, 10.0);
        REQUIRE_FALSE(chunk.empty());
        echoed += chunk;
      }
      CHECK(echoed == message);
      socket.shutdown(green::Socket::Shutdown::write);
      CHECK(socket.recv(16, 10.0).empty());  // the server closed after our EOF
      ++verified;
    }));
  }
  green::joinall(clients, 30.0, true);
  CHECK(verified == kClients);
  green::joinall(handlers, 10.0);
  for (auto& handler : handlers) CHECK(handler->successful());
  acceptor->kill();
  CHECK(acceptor->dead());
}

TEST_CASE("connect to a closed port is refused and names the address", "[socket]") {
  green::Hub hub;
  std::uint16_t port = 0;
  {
    green::Socket probe = green::Socket::listen("127.0.0.1", 0);
    port = probe.local_port();
  }  // closed: nothing listens there now
  try {
    green::Socket::connect("127.0.0.1", port, 5.0);
    FAIL("connect succeeded");
  } catch (const green::SocketTimeout&) {
    FAIL("refused connect reported as a timeout");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::connection_refused);
    CHECK_THAT(e.what(), Catch::Contains("connect to 127.0.0.1:" + std::to_string(port)));
  }
}

TEST_CASE("a non-numeric address is rejected without a lookup", "[socket]") {
  green::Hub hub;
  try {
    green::Socket::connect("localhost", 80, 1.0);
    FAIL("connect accepted a host name");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains("localhost"));
  }
}

TEST_CASE("connect times out against a full accept queue", "[socket][timeout]") {
  green::Hub hub;
  // backlog 0: Linux queues one connection and then drops SYNs, so a later connect
  // never completes.
  green::Socket listener = green::Socket::listen("127.0.0.1", 0, 0);
  std::vector<green::Socket> queued;
  bool timed_out = false;
  for (int i = 0; i < 16 && !timed_out; ++i) {
    double start = hub.now();
    try {
      queued.push_back(green::Socket::connect("127.0.0.1", listener.local_port(), 0.2));
    } catch (const green::SocketTimeout& e) {
      timed_out = true;
      double elapsed = hub.now() - start;
      CHECK(elapsed >= 0.2);
      CHECK(elapsed < 2.0);
      CHECK(e.code() == std::errc::timed_out);
      CHECK_THAT(e.what(), Catch::Contains("connect to 127.0.0.1"));
    }
  }
  CHECK(timed_out);
}

TEST_CASE("accept times out after its timeout on the hub clock", "[socket][timeout]") {
  green::Hub hub;
  green::Socket listener = green::Socket::listen("127.0.0.1", 0);
  double start = hub.now();
  CHECK_THROWS_AS(listener.accept(0.25), green::SocketTimeout);
  double elapsed = hub.now() - start;
  CHECK(elapsed >= 0.25);
  CHECK(elapsed < 2.0);
  // Still a working listener afterwards.
  green::Socket client;
  auto connecting = green::spawn(
      [&] { client = green::Socket::connect("127.0.0.1", listener.local_port(), 5.0); });
  auto [connection, peer] = listener.accept(5.0);
  connecting->get(5.0);
  CHECK(connection.is_open());
  CHECK(client.local_port() == peer.port);
}

TEST_CASE("recv times out, and the socket stays usable", "[socket][timeout]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  double start = hub.now();
  try {
    pair.client.recv(16, 0.15);
    FAIL("recv returned without data");
  } catch (const green::SocketTimeout& e) {
    CHECK(e.code() == std::errc::timed_out);
    CHECK_THAT(e.what(), Catch::Contains("recv from 127.0.0.1:"));
  }
  double elapsed = hub.now() - start;
  CHECK(elapsed >= 0.15);
  CHECK(elapsed < 2.0);
  pair.server.sendall("late", 5.0);
  CHECK(pair.client.recv(16, 5.0) == "late");
}

TEST_CASE("peer close reads as EOF and a later send fails", "[socket]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair("::1");
  auto closer = green::spawn([&] {
    pair.server.sendall("bye", 5.0);
    pair.server.close();
  });
  CHECK(recv_until_eof(pair.client, 5.0) == "bye");
  CHECK(pair.client.recv(16, 5.0).empty());  // EOF is sticky
  closer->get();
  // The peer is gone: the first send may still be accepted locally, the RST then
  // makes a later one fail (EPIPE or ECONNRESET), never SIGPIPE.
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i) {
    try {
      pair.client.sendall("are you there?", 5.0);
      green::sleep(0.01);
    } catch (const std::system_error& e) {
      failed = true;
      CHECK((e.code() == std::errc::broken_pipe || e.code() == std::errc::connection_reset));
    }
  }
  CHECK(failed);
}

TEST_CASE("a ready fd does not stall the hub while other greenlets are runnable", "[socket][hub]") {
  // Regression: the hub's non-blocking poll used EVLOOP_NONBLOCK alone, which loops
  // inside libevent for as long as a level-triggered fd stays ready, i.e. forever
  // when the greenlet that would drain it is queued behind the poll.
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  pair.server.sendall("x", 5.0);  // the client's fd is readable from now on
  bool readable = false;
  auto reader = green::spawn([&] { readable = green::wait_readable(pair.client.fd(), 5.0); });
  auto yielder = green::spawn([] {
    for (int i = 0; i < 3; ++i) green::sleep(0);  // keeps the ready queue non-empty
  });
  green::joinall({reader, yielder}, 5.0);
  CHECK(readable);
  CHECK(yielder->dead());
}

TEST_CASE("killing a greenlet blocked in recv removes its fd watch", "[socket]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  bool reached = false;
  auto reader = green::spawn([&] {
    reached = true;
    pair.client.recv(16);  // no timeout: only the kill ends it
    FAIL("recv returned");
  });
  green::sleep(0);
  REQUIRE(reached);
  reader->kill();
  CHECK(reader->dead());
  CHECK(reader->successful());
  // Nothing is watched any more: a wait on nothing fails at once with LoopExit
  // instead of hanging on a leftover ref'd watcher.
  green::Waiter nothing;
  CHECK_THROWS_AS(nothing.wait(), green::LoopExit);
  // And the socket still works for the next reader.
  pair.server.sendall("after kill", 5.0);
  CHECK(pair.client.recv(64, 5.0) == "after kill");
}

TEST_CASE("a green Timeout around recv unwinds it", "[socket][timeout]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  double start = hub.now();
  CHECK_THROWS_AS(green::with_timeout(0.1, [&] { return pair.client.recv(16); }),
                  green::TimeoutError);
  CHECK(hub.now() - start >= 0.1);
  green::Waiter nothing;
  CHECK_THROWS_AS(nothing.wait(), green::LoopExit);
}

TEST_CASE("close wakes a greenlet blocked on the socket with EBADF", "[socket]") {
  green::Hub hub;
  int reported = 0;  // the reader's failure, reported once by the hub
  hub.set_error_handler([&](green::Greenlet&, std::exception_ptr) { ++reported; });
  ConnectedPair pair = connect_pair();
  auto reader = green::spawn([&] { return pair.client.recv(16, 5.0); });
  green::sleep(0);
  pair.client.close();
  CHECK_FALSE(pair.client.is_open());
  try {
    reader->get(5.0);
    FAIL("recv on a closed socket returned");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::bad_file_descriptor);
  }
  green::sleep(0);
  CHECK(reported == 1);
  CHECK_THROWS_AS(pair.client.recv(16), std::system_error);
}

TEST_CASE("destroying a socket another greenlet waits on is safe", "[socket]") {
  green::Hub hub;
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});  // expected failure
  auto pair = std::make_unique<ConnectedPair>(connect_pair());
  auto reader = green::spawn([&] { return pair->client.recv(16, 5.0); });
  green::sleep(0);
  pair.reset();  // the reader is woken, then its state is released when it is done
  CHECK_THROWS_AS(reader->get(5.0), std::system_error);
}

TEST_CASE("two greenlets reading one socket is a usage error", "[socket]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  auto first = green::spawn([&] { return pair.client.recv(16, 5.0); });
  green::sleep(0);
  CHECK_THROWS_AS(pair.client.recv(16, 5.0), green::UsageError);
  pair.server.sendall("x", 5.0);
  CHECK(first->get(5.0) == "x");
}

TEST_CASE("sendall of a large payload waits for a slow reader", "[socket]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  const std::string payload(8 * 1024 * 1024, 'p');
  int reads = 0;
  auto reader = green::spawn([&] {
    std::string all;
    while (true) {
      std::string chunk = pair.server.recv(65536, 5.0);
      if (chunk.empty()) return all;
      all += chunk;
      if (++reads % 16 == 0) green::sleep(0.001);  // slower than the writer
    }
  });
  pair.client.sendall(payload, 30.0);
  pair.client.shutdown(green::Socket::Shutdown::write);
  std::string received = reader->get(30.0);
  CHECK(received.size() == payload.size());
  CHECK(received == payload);
  CHECK(reads > 1);
}

TEST_CASE("sendall times out when the peer never reads", "[socket][timeout]") {
  green::Hub hub;
  ConnectedPair pair = connect_pair();
  const std::string payload(64 * 1024 * 1024, 'q');  // far beyond both buffers
  double start = hub.now();
  CHECK_THROWS_AS(pair.client.sendall(payload, 0.2), green::SocketTimeout);
  double elapsed = hub.now() - start;
  CHECK(elapsed >= 0.2);
  CHECK(elapsed < 5.0);
}
