// The seeds' groups and pools: a Group joined twice (talk bar/foo/fizz), a Pool of
// 100 over 255 tasks, a Pool never running more greenlets than its size, the
// SocketPool that refuses handlers when full, and the determinism of a pool's
// imap_unordered (four runs, the same order).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/group.hpp"
#include "green/pool.hpp"
#include "green/socket.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

TEST_CASE("a Group joins its members, then a member added later", "[seeds][group]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto talk = [&](const std::string& msg) {
    for (int i = 0; i < 3; ++i) print(msg);
  };
  auto g1 = green::spawn(talk, std::string("bar"));
  auto g2 = green::spawn(talk, std::string("foo"));
  auto g3 = green::spawn(talk, std::string("fizz"));

  green::Group group;
  group.add(g1);
  group.add(g2);
  group.join();
  // Waiting let all three run, each to its end: talk never yields.
  CHECK(print.lines == Lines{"bar", "bar", "bar", "foo", "foo", "foo", "fizz", "fizz", "fizz"});
  CHECK(group.empty());

  group.add(g3);  // already dead: the group lets it go once its links have run
  CHECK(group.join());
  CHECK(group.empty());
  CHECK(print.lines.size() == 9);
}

namespace {

// Counts how many tasks run at once.
struct Concurrency {
  int running = 0;
  int most = 0;
  void enter() { most = std::max(most, ++running); }
  void leave() { --running; }
};

}  // namespace

TEST_CASE("a Pool of 100 runs 255 tasks, 100 at a time", "[seeds][pool]") {
  // The first seed: pool = Pool(100); process_list.append(pool.spawn(task, ...)) for
  // 255 URLs; joinall(process_list). Each task takes a second here.
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Pool pool(100);
  Concurrency concurrency;
  int done = 0;
  auto task = [&](const std::string& url) {
    concurrency.enter();
    green::sleep(1);
    CHECK(url.rfind("https://www.jd.com/.", 0) == 0);
    concurrency.leave();
    ++done;
  };
  std::vector<green::Greenlet::Ptr> process_list;
  for (int num = 1; num < 256; ++num) {
    process_list.push_back(pool.spawn(task, "https://www.jd.com/." + std::to_string(num)));
  }
  green::joinall(process_list);
  CHECK(done == 255);
  CHECK(concurrency.most == 100);
  CHECK(hub.now() == 3.0);  // 100 + 100 + 55
  CHECK(pool.empty());
}

TEST_CASE("a Pool never runs more greenlets than its size", "[seeds][pool]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Pool pool(3);
  Concurrency concurrency;
  std::vector<double> started;
  for (int i = 0; i < 10; ++i) {
    pool.spawn([&] {
      started.push_back(hub.now());
      concurrency.enter();
      green::sleep(1);
      concurrency.leave();
    });
    CHECK(pool.size() <= 3);
  }
  pool.join();
  CHECK(concurrency.most == 3);
  // spawn() blocked while the pool was full: three start each second.
  CHECK(started == std::vector<double>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3});
  CHECK(hub.now() == 4.0);
  CHECK(pool.free_count() == 3);
}

namespace {

// The seed's SocketPool: one listening greenlet per socket in a Pool; a handler
// beyond the pool's size is refused; shutdown kills them all.
class SocketPool {
 public:
  explicit SocketPool(std::size_t size) : pool_(size) {}

  static void listen(green::Socket& socket) {
    char buffer[1024];
    while (true) {
      if (socket.recv(buffer) == 0) return;
    }
  }

  void add_handler(green::Socket& socket) {
    if (pool_.full()) throw std::runtime_error("At maximum pool size");
    pool_.spawn([&socket] { listen(socket); });
  }

  void shutdown() { pool_.kill(); }
  const green::Pool& pool() const { return pool_; }

 private:
  green::Pool pool_;
};

}  // namespace

TEST_CASE("the SocketPool refuses a handler when full and kills them at shutdown",
          "[seeds][pool]") {
  green::Hub hub;  // real sockets: the real clock (nothing here waits on time)
  green::Socket listener = green::Socket::listen("127.0.0.1", 0);
  std::vector<green::Socket> clients;
  std::vector<green::Socket> connections;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(green::Socket::connect("127.0.0.1", listener.local_port()));
    connections.push_back(listener.accept().first);
  }

  SocketPool sockets(2);
  sockets.add_handler(connections[0]);
  sockets.add_handler(connections[1]);
  CHECK_THROWS_WITH(sockets.add_handler(connections[2]), "At maximum pool size");
  green::sleep(0);  // both handlers are now blocked in recv
  CHECK(sockets.pool().size() == 2);

  sockets.shutdown();
  CHECK(sockets.pool().empty());
  CHECK(sockets.pool().free_count() == 2);
}

namespace {

// Runs pool.imap_unordered(echo, 0..9) to the end and returns what came out.
template <class Echo>
std::vector<int> imap_unordered_run(green::Pool& pool, Echo echo) {
  std::vector<int> inputs = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int> run;
  for (int result : pool.imap_unordered(echo, inputs)) run.push_back(result);
  return run;
}

}  // namespace

TEST_CASE("a pool's imap_unordered is deterministic: four runs, one order", "[seeds][pool]") {
  // The seed's gevent half, on the real clock as in the seed: every echo sleeps
  // 1 ms, so they finish in the order they armed their timers, run after run.
  green::Hub hub;
  green::Pool p(10);
  auto echo = [](const int& i) {
    green::sleep(0.001);
    return i;
  };
  std::vector<int> run1 = imap_unordered_run(p, echo);
  std::vector<int> run2 = imap_unordered_run(p, echo);
  std::vector<int> run3 = imap_unordered_run(p, echo);
  std::vector<int> run4 = imap_unordered_run(p, echo);
  CHECK((run1 == run2 && run2 == run3 && run3 == run4));  // True
  CHECK(run1 == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("imap_unordered yields in completion order, the same every run", "[seeds][pool]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Pool p(10);
  auto echo = [](const int& i) {
    green::sleep(0.001 * ((i * 7) % 10));  // 0, 7, 4, 1, 8, 5, 2, 9, 6, 3 ms
    return i;
  };
  std::vector<int> run1 = imap_unordered_run(p, echo);
  for (int run = 0; run < 3; ++run) CHECK(imap_unordered_run(p, echo) == run1);
  CHECK(run1 == std::vector<int>{0, 3, 6, 9, 2, 5, 8, 1, 4, 7});
}

TEST_CASE("a pool's imap_unordered with a pool smaller than the input", "[seeds][pool]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Pool p(3);
  Concurrency concurrency;
  auto echo = [&](const int& i) {
    concurrency.enter();
    green::sleep(0.001 * ((i * 7) % 10));
    concurrency.leave();
    return i;
  };
  std::vector<int> run1 = imap_unordered_run(p, echo);
  CHECK(imap_unordered_run(p, echo) == run1);
  std::vector<int> sorted = run1;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(concurrency.most == 3);
}
