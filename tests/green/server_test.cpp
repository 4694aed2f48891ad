// Tests of green::StreamServer over loopback: an echo server under 500 concurrent
// clients, the pool bound, stop() with its grace period and kill, serve_forever,
// stop from a handler or a signal, and no greenlets, watches or fds left behind.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "green/event.hpp"
#include "green/green.hpp"
#include "green/server.hpp"
#include "green/signal.hpp"

namespace {

void echo(green::Socket& connection, const green::Endpoint&) {
  char buffer[4096];
  while (std::size_t n = connection.recv(std::span<char>(buffer, sizeof buffer), 10.0)) {
    connection.sendall(std::string_view(buffer, n), 10.0);
  }
}

// Sends `message`, half-closes, and returns everything until the server's EOF.
// `on_connected` runs once the connection is established (accepted or queued).
std::string exchange(std::uint16_t port, const std::string& message,
                     const std::string& address = "127.0.0.1",
                     const std::function<void()>& on_connected = {}) {
  green::Socket socket = green::Socket::connect(address, port, 10.0);
  if (on_connected) on_connected();
  socket.sendall(message, 10.0);
  socket.shutdown(green::Socket::Shutdown::write);
  std::string reply;
  while (true) {
    std::string chunk = socket.recv(65536, 10.0);
    if (chunk.empty()) return reply;
    reply += chunk;
  }
}

std::size_t open_fds() {
  std::size_t count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
  }
  return count;
}

// Nothing can wake a waiter any more: no ref'd fd watch, timer or ready greenlet.
void check_hub_is_idle() {
  green::Waiter nothing;
  CHECK_THROWS_AS(nothing.wait(), green::LoopExit);
}

}  // namespace

TEST_CASE("echo server answers 500 concurrent clients through a bounded pool", "[server]") {
  green::Hub hub;
  std::size_t running = 0;
  std::size_t most_running = 0;
  green::StreamServer server(
      "127.0.0.1", 0,
      [&](green::Socket& connection, const green::Endpoint& peer) {
        most_running = std::max(most_running, ++running);
        echo(connection, peer);
        --running;
      },
      100);
  REQUIRE(server.port() != 0);
  CHECK(server.address() == "127.0.0.1");
  server.start();
  CHECK(server.started());
  constexpr int kClients = 500;
  int verified = 0;
  std::vector<green::Greenlet::Ptr> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(green::spawn([&, i] {
      std::string message = "client " + std::to_string(i) + " " + std::string(i * 5, 'e');
      CHECK(exchange(server.port(), message) == message);
      ++verified;
    }));
  }
  green::joinall(clients, 60.0, true);
  CHECK(verified == kClients);
  CHECK(most_running <= 100);
  CHECK(most_running > 1);
  server.stop();
  CHECK(server.connections() == 0);
  check_hub_is_idle();
}

TEST_CASE("IPv6 server echoes", "[server]") {
  green::Hub hub;
  green::StreamServer server("::1", 0, echo);
  server.start();
  CHECK(server.address() == "::1");
  CHECK(exchange(server.port(), "over v6", "::1") == "over v6");
  server.stop();
}

TEST_CASE("while the pool is full, connections wait in the backlog", "[server]") {
  green::Hub hub;
  green::Event release;
  green::Event two_entered;
  green::Event three_connected;
  int entered = 0;
  int connected = 0;
  green::StreamServer server(
      "127.0.0.1", 0,
      [&](green::Socket& connection, const green::Endpoint&) {
        if (++entered == 2) two_entered.set();
        release.wait(10.0);
        connection.sendall("done", 10.0);
      },
      2);
  server.start();
  std::vector<green::Greenlet::Ptr> clients;
  std::vector<std::string> replies(3);
  for (int i = 0; i < 3; ++i) {
    clients.push_back(green::spawn([&, i] {
      replies[i] = exchange(server.port(), "", "127.0.0.1", [&] {
        if (++connected == 3) three_connected.set();
      });
    }));
  }
  REQUIRE(three_connected.wait(10.0));
  REQUIRE(two_entered.wait(10.0));
  green::idle();  // whatever could still run has run: the third is not accepted
  CHECK(entered == 2);
  CHECK(server.connections() == 2);
  CHECK(server.pool().full());
  release.set();
  green::joinall(clients, 10.0, true);
  CHECK(entered == 3);
  CHECK(replies == std::vector<std::string>{"done", "done", "done"});
  server.stop();
}

TEST_CASE("the connection is closed when the handler returns", "[server]") {
  green::Hub hub;
  green::StreamServer server("127.0.0.1", 0, [](green::Socket& connection, const green::Endpoint&) {
    connection.sendall("hi", 5.0);
  });
  server.start();
  green::Socket client = green::Socket::connect("127.0.0.1", server.port(), 5.0);
  std::string all;
  while (true) {
    std::string chunk = client.recv(64, 5.0);  // would time out if left open
    if (chunk.empty()) break;
    all += chunk;
  }
  CHECK(all == "hi");
  server.stop();
}

TEST_CASE("stop lets handlers finish within the grace period", "[server][stop]") {
  green::Hub hub;
  bool finished = false;
  green::Event entered;
  green::StreamServer server("127.0.0.1", 0,
                             [&](green::Socket& connection, const green::Endpoint&) {
                               entered.set();
                               green::sleep(0.05);
                               connection.sendall("late answer", 5.0);
                               finished = true;
                             });
  server.start();
  auto client = green::spawn([&] { return exchange(server.port(), ""); });
  REQUIRE(entered.wait(5.0));
  server.stop(5.0);
  CHECK(finished);
  CHECK(client->get(5.0) == "late answer");
  CHECK_FALSE(server.started());
}

TEST_CASE("stop kills handlers still running after the grace period", "[server][stop]") {
  green::Hub hub;
  std::size_t fds_before = open_fds();
  bool killed = false;
  green::Event entered;
  auto server = std::make_unique<green::StreamServer>(
      "127.0.0.1", 0, [&](green::Socket& connection, const green::Endpoint&) {
        entered.set();
        try {
          connection.recv(16);  // the client never sends: blocks until killed
        } catch (const green::GreenletExit&) {
          killed = true;
          throw;
        }
      });
  const std::uint16_t port = server->port();
  server->start();
  green::Socket client = green::Socket::connect("127.0.0.1", port, 5.0);
  REQUIRE(entered.wait(5.0));
  double start = hub.now();
  server->stop(0.2);
  double elapsed = hub.now() - start;
  CHECK(elapsed >= 0.2);
  CHECK(elapsed < 2.0);
  CHECK(killed);
  CHECK(server->connections() == 0);
  // The server side closed: the client reads EOF; new connects are refused.
  CHECK(client.recv(16, 5.0).empty());
  try {
    green::Socket::connect("127.0.0.1", port, 5.0);
    FAIL("connect to a stopped server succeeded");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::connection_refused);
  }
  client.close();
  server.reset();
  green::sleep(0);  // the pool's links run on the hub
  CHECK(hub.live_greenlets() == 0);
  CHECK(open_fds() == fds_before);
  check_hub_is_idle();
}

TEST_CASE("serve_forever returns once another greenlet stops the server", "[server]") {
  green::Hub hub;
  green::StreamServer server("127.0.0.1", 0, echo);
  auto stopper = green::spawn([&] {
    CHECK(exchange(server.port(), "ping") == "ping");
    server.stop();
  });
  server.serve_forever();
  CHECK_FALSE(server.started());
  stopper->get(5.0);
  check_hub_is_idle();
}

TEST_CASE("a handler may stop the server it runs in", "[server]") {
  green::Hub hub;
  bool handler_finished = false;
  green::StreamServer* self = nullptr;
  green::StreamServer server("127.0.0.1", 0,
                             [&](green::Socket& connection, const green::Endpoint&) {
                               connection.sendall("stopping", 5.0);
                               self->stop();
                               handler_finished = true;  // not killed by its own stop
                             });
  self = &server;
  auto client = green::spawn([&] { return exchange(server.port(), ""); });
  server.serve_forever();
  CHECK(client->get(5.0) == "stopping");
  green::sleep(0);
  CHECK(handler_finished);
}

TEST_CASE("a signal handler stops serve_forever", "[server][signal]") {
  green::Hub hub;
  green::StreamServer server("127.0.0.1", 0, echo);
  green::SignalHandler on_term = green::signal_handler(SIGTERM, [&] { server.stop(); });
  auto client = green::spawn([&] {
    CHECK(exchange(server.port(), "before the signal") == "before the signal");
    REQUIRE(::kill(::getpid(), SIGTERM) == 0);
  });
  server.serve_forever();
  CHECK_FALSE(server.started());
  client->get(5.0);
}

TEST_CASE("killing the greenlet in serve_forever stops the server", "[server]") {
  green::Hub hub;
  green::StreamServer server("127.0.0.1", 0, echo);
  auto serving = green::spawn([&] { server.serve_forever(); });
  green::sleep(0);  // serving runs first and starts the server
  CHECK(server.started());
  CHECK(exchange(server.port(), "x") == "x");
  serving->kill();
  CHECK(serving->dead());
  CHECK_FALSE(server.started());
  check_hub_is_idle();
}

TEST_CASE("a failing handler is reported and the server keeps serving", "[server]") {
  green::Hub hub;
  std::vector<std::string> reported;
  hub.set_error_handler([&](green::Greenlet&, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      reported.push_back(e.what());
    }
  });
  green::StreamServer server("127.0.0.1", 0, [](green::Socket& connection, const green::Endpoint&) {
    std::string request = connection.recv(64, 5.0);
    if (request == "boom") throw std::runtime_error("handler boom");
    connection.sendall("ok:" + request, 5.0);
  });
  server.start();
  CHECK(exchange(server.port(), "boom").empty());  // closed without an answer
  CHECK(exchange(server.port(), "fine") == "ok:fine");
  server.stop();
  CHECK(reported == std::vector<std::string>{"handler boom"});
}

TEST_CASE("a stopped server can start again on the same port", "[server]") {
  green::Hub hub;
  green::StreamServer server("127.0.0.1", 0, echo);
  server.start();
  const std::uint16_t port = server.port();
  CHECK(exchange(port, "one") == "one");
  server.stop();
  server.start();
  CHECK(server.port() == port);
  CHECK(exchange(port, "two") == "two");
  server.stop();
}

TEST_CASE("servers sharing a pool share its bound", "[server]") {
  green::Hub hub;
  green::Pool pool(1);
  green::Event release;
  green::Event both_connected;
  green::Event one_entered;
  int entered = 0;
  int connected = 0;
  auto hold = [&](green::Socket& connection, const green::Endpoint&) {
    ++entered;
    one_entered.set();
    release.wait(10.0);
    connection.sendall("x", 5.0);
  };
  auto count_connected = [&] {
    if (++connected == 2) both_connected.set();
  };
  green::StreamServer first("127.0.0.1", 0, hold, pool);
  green::StreamServer second("127.0.0.1", 0, hold, pool);
  first.start();
  second.start();
  auto a = green::spawn([&] { return exchange(first.port(), "", "127.0.0.1", count_connected); });
  auto b = green::spawn([&] { return exchange(second.port(), "", "127.0.0.1", count_connected); });
  REQUIRE(both_connected.wait(10.0));
  REQUIRE(one_entered.wait(10.0));
  green::idle();
  CHECK(entered == 1);  // one slot for both servers
  CHECK(pool.full());
  release.set();
  CHECK(a->get(10.0) == "x");
  CHECK(b->get(10.0) == "x");
  first.stop();
  second.stop();
}

TEST_CASE("a server destroyed where it cannot wait still unwinds cleanly", "[server][stop]") {
  green::Hub hub;
  green::Event entered;
  bool killed = false;
  auto server = std::make_unique<green::StreamServer>(
      "127.0.0.1", 0,
      [&](green::Socket& connection, const green::Endpoint&) {
        entered.set();
        try {
          connection.recv(16);
        } catch (const green::GreenletExit&) {
          killed = true;
          throw;
        }
      },
      1);
  server->start();
  green::Socket client = green::Socket::connect("127.0.0.1", server->port(), 5.0);
  REQUIRE(entered.wait(5.0));  // the pool is full: the accept loop waits for a slot
  // A hub callback cannot block: the destructor only signals the greenlets, and
  // they unwind on their next turn, after the server (and its pool) are gone.
  hub.run_callback([&] { server.reset(); });
  green::sleep(0);
  CHECK_FALSE(server);
  green::sleep(0);
  green::sleep(0);
  CHECK(killed);
  CHECK(client.recv(16, 5.0).empty());  // the connection was closed
  CHECK(hub.live_greenlets() == 0);
  check_hub_is_idle();
}
