// The hub: FIFO ready queue, timer order, idle(), fd waits, LoopExit, teardown of
// survivors, one hub per thread running independently, and the stack-overflow guard.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "green/green.hpp"

TEST_CASE("callbacks and woken greenlets run in FIFO order", "[hub]") {
  green::Hub hub;
  std::vector<int> order;
  hub.run_callback([&] { order.push_back(1); });
  auto g = green::spawn([&] { order.push_back(2); });
  hub.run_callback([&] { order.push_back(3); });
  g->join();
  green::sleep(0);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("timers with equal deadlines fire in arming order", "[hub]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  std::vector<int> fired;
  green::Timer a([&] { fired.push_back(1); });
  green::Timer b([&] { fired.push_back(2); });
  green::Timer c([&] { fired.push_back(3); });
  green::Timer cancelled([&] { fired.push_back(99); });
  c.start(0.5);
  a.start(1);
  b.start(1);
  cancelled.start(0.7);
  cancelled.cancel();
  CHECK_FALSE(cancelled.pending());
  green::sleep(2);
  CHECK(fired == std::vector<int>{3, 1, 2});
}

TEST_CASE("a re-armed timer is ordered as if armed anew, earlier or later", "[hub]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  std::vector<int> fired;
  std::vector<std::unique_ptr<green::Timer>> timers;
  for (int i = 0; i < 8; ++i) {
    timers.push_back(std::make_unique<green::Timer>([&fired, i] { fired.push_back(i); }));
    timers.back()->start(1 + i * 0.25);  // 0 at 1.0, 1 at 1.25, ... 7 at 2.75
  }
  timers[0]->start(1.5);   // later: after 2, which was armed at 1.5 first
  timers[6]->start(0.5);   // earlier: first of all
  timers[3]->start(1.25);  // the same deadline as 1: after it
  timers[5]->start(3);     // last
  green::sleep(4);
  CHECK(fired == std::vector<int>{6, 1, 3, 2, 0, 4, 7, 5});
  CHECK(hub.now() == 4);
}

TEST_CASE("idle waits until nothing else is ready", "[hub]") {
  green::Hub hub;
  int spins = 0;
  auto busy = green::spawn([&] {
    for (int i = 0; i < 5; ++i) {
      ++spins;
      green::sleep(0);
    }
  });
  green::idle();
  CHECK(spins == 5);
  CHECK(busy->dead());
}

TEST_CASE("wait_readable wakes on data and times out on the hub clock", "[hub][io]") {
  green::Hub hub;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  double start = hub.now();
  CHECK_FALSE(green::wait_readable(fds[0], 0.05));
  CHECK(hub.now() - start >= 0.05);
  auto writer = green::spawn([&] { CHECK(write(fds[1], "x", 1) == 1); });
  CHECK(green::wait_readable(fds[0], 5));
  char byte = 0;
  CHECK(read(fds[0], &byte, 1) == 1);
  CHECK(byte == 'x');
  CHECK(green::wait_writable(fds[1], 1));
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("a greenlet killed while waiting on an fd leaves no watch behind", "[hub][io]") {
  green::Hub hub;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  auto reader = green::spawn([&] { green::wait_readable(fds[0]); });
  green::sleep(0);
  reader->kill();
  CHECK(reader->dead());
  // No watcher keeps the loop alive: a wait nothing can end raises LoopExit.
  green::Waiter nobody;
  CHECK_THROWS_AS(nobody.wait(), green::LoopExit);
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("LoopExit reaches main when a joined greenlet can never finish", "[hub]") {
  green::Hub hub;
  auto stuck = green::spawn([] {
    green::Waiter never;
    never.wait();
  });
  CHECK_THROWS_AS(stuck->join(), green::LoopExit);
  CHECK_FALSE(stuck->dead());
}

TEST_CASE("destroying a hub unwinds the greenlets still alive", "[hub]") {
  int unwound = 0;
  struct Count {
    int& n;
    ~Count() { ++n; }
  };
  {
    green::Hub hub;
    for (int i = 0; i < 3; ++i) {
      green::spawn([&] {
        Count count{unwound};
        green::sleep(1000);
      });
    }
    green::sleep(0);
    CHECK(hub.live_greenlets() == 3);
  }
  CHECK(unwound == 3);
}

TEST_CASE("two hubs on two threads run independently", "[hub]") {
  std::atomic<int> finished{0};
  auto worker = [&](int id, std::vector<int>& out) {
    green::Hub hub;
    std::vector<green::Greenlet::Ptr> all;
    for (int i = 0; i < 100; ++i) {
      all.push_back(green::spawn([&out, id, i] {
        green::sleep(0.001 * (i % 5));
        out.push_back(id * 1000 + i);
      }));
    }
    green::joinall(all);
    ++finished;
  };
  std::vector<int> a, b;
  std::thread t1(worker, 1, std::ref(a));
  std::thread t2(worker, 2, std::ref(b));
  t1.join();
  t2.join();
  CHECK(finished == 2);
  CHECK(a.size() == 100);
  CHECK(b.size() == 100);
  for (int v : a) CHECK(v / 1000 == 1);
  for (int v : b) CHECK(v / 1000 == 2);
}

namespace {
int recurse(int depth) {
  volatile char buffer[1024];
  buffer[0] = static_cast<char>(depth);
  return depth > 1000000 ? buffer[0] : recurse(depth + 1) + buffer[0];
}
}  // namespace

TEST_CASE("a stack overflow in a greenlet is a clean crash with a message", "[hub]") {
  int err[2];
  REQUIRE(pipe(err) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(err[1], STDERR_FILENO);
    green::Hub hub(green::Hub::Options{.stack_size = 64 * 1024});
    auto g = green::spawn([] { return recurse(0); });
    g->join();
    _exit(0);  // not reached
  }
  close(err[1]);
  std::string output;
  char chunk[512];
  for (ssize_t n; (n = read(err[0], chunk, sizeof chunk)) > 0;)
    output.append(chunk, static_cast<std::size_t>(n));
  close(err[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK_FALSE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(output.find("stack overflow") != std::string::npos);
#if !defined(GREEN_SANITIZE_ADDRESS)  // ASan may end the process its own way
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
#endif
}
