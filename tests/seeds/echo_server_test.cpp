// The seed's TCP case: a server greenlet accepts and spawns talk(conn, addr) per
// connection, which echoes what it receives upper-cased; 500 clients (threads in
// the seed, greenlets here) connect at once, each saying hello a few times. Then
// the same with green::StreamServer doing the accepting and spawning.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "green/green.hpp"
#include "green/server.hpp"
#include "green/socket.hpp"
#include "printed.hpp"

using seeds::Printed;

namespace {

constexpr int kClients = 500;
constexpr int kHellos = 3;

// 500 clients and their 500 server-side connections need ~1000 fds.
void raise_fd_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// The seed's clients: connect, then say hello and read the reply, kHellos times.
// Returns each client's replies, after checking every one of them succeeded.
std::vector<std::vector<std::string>> run_clients(std::uint16_t port) {
  std::vector<std::vector<std::string>> replies(kClients);
  auto client = [&](int n) {
    green::Socket c = green::Socket::connect("127.0.0.1", port);
    for (int count = 0; count < kHellos; ++count) {
      c.sendall("Greenlet-" + std::to_string(n) + " say hello " + std::to_string(count));
      replies[static_cast<std::size_t>(n)].push_back(c.recv(1024));
    }
  };
  std::vector<green::Greenlet::Ptr> clients;
  for (int n = 0; n < kClients; ++n) clients.push_back(green::spawn(client, n));
  green::joinall(clients, 60.0);
  for (auto& c : clients) REQUIRE(c->successful());
  return replies;
}

void check_replies(const std::vector<std::vector<std::string>>& replies) {
  for (int n = 0; n < kClients; ++n) {
    std::vector<std::string> expected;
    for (int count = 0; count < kHellos; ++count) {
      expected.push_back("GREENLET-" + std::to_string(n) + " SAY HELLO " + std::to_string(count));
    }
    CHECK(replies[static_cast<std::size_t>(n)] == expected);
  }
}

}  // namespace

TEST_CASE("an accept loop with a greenlet per connection echoes 500 clients", "[seeds][server]") {
  raise_fd_limit();
  green::Hub hub;  // real sockets: the real clock
  Printed server_log;
  std::vector<std::string> errors;

  // The seed's talk(conn, addr): recv up to 1024 bytes, print, send it back upper-cased.
  // (The seed loops forever on EOF; here EOF ends the conversation.)
  auto talk = [&](std::shared_ptr<green::Socket> conn, green::Endpoint addr) {
    try {
      while (true) {
        std::string res = conn->recv(1024);
        if (res.empty()) break;
        server_log("client " + addr.address + ":" + std::to_string(addr.port) + " msg: " + res);
        conn->sendall(upper(res));
      }
    } catch (const std::exception& e) {
      errors.push_back(e.what());
    }
    conn->close();  // finally: conn.close()
  };

  // The seed's listen(5) would drop most of 500 simultaneous SYNs (each retried after
  // a second); the backlog here holds them all.
  green::Socket listener = green::Socket::listen("127.0.0.1", 0, kClients);
  const std::uint16_t port = listener.local_port();
  std::vector<green::Greenlet::Ptr> talkers;
  // spawn() keeps its arguments in a std::function, which must be copyable: the
  // move-only Socket travels in a shared_ptr.
  auto server = green::spawn([&] {
    while (true) {
      auto [conn, addr] = listener.accept();
      talkers.push_back(green::spawn(talk, std::make_shared<green::Socket>(std::move(conn)), addr));
    }
  });

  check_replies(run_clients(port));

  // Every talker sees its client's EOF and ends; the server keeps accepting until killed.
  green::joinall(talkers, 60.0);
  CHECK(talkers.size() == kClients);
  for (auto& t : talkers) CHECK(t->ready());
  CHECK(errors.empty());
  CHECK(server_log.lines.size() == kClients * kHellos);
  CHECK(server_log.lines.front().rfind("client 127.0.0.1:", 0) == 0);
  CHECK(server_log.lines.front().find(" msg: Greenlet-") != std::string::npos);
  CHECK_FALSE(server->ready());
  server->kill();
  CHECK(server->successful());
}

TEST_CASE("a StreamServer echoes 500 clients, a greenlet per connection", "[seeds][server]") {
  raise_fd_limit();
  green::Hub hub;
  Printed server_log;
  std::set<std::uint16_t> peers;
  std::size_t most_connections = 0;
  green::StreamServer* running = nullptr;
  auto talk = [&](green::Socket& conn, const green::Endpoint& addr) {
    peers.insert(addr.port);
    most_connections = std::max(most_connections, running->connections());
    while (true) {
      std::string res = conn.recv(1024);
      if (res.empty()) return;  // the server closes the connection after us
      server_log("client " + addr.address + ":" + std::to_string(addr.port) + " msg: " + res);
      conn.sendall(upper(res));
    }
  };
  green::StreamServer server("127.0.0.1", 0, talk);
  running = &server;
  server.start();

  check_replies(run_clients(server.port()));
  CHECK(server_log.lines.size() == kClients * kHellos);
  CHECK(peers.size() == kClients);
  CHECK(most_connections > 1);  // the handlers ran side by side
  server.stop();
  CHECK(server.connections() == 0);
  CHECK_THROWS_AS(green::Socket::connect("127.0.0.1", server.port()), std::system_error);
}
