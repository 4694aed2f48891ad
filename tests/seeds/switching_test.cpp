// The seeds' context-switching examples: foo/bar switching through sleep(0), three
// f(5) greenlets run back to back and interleaved, synchronous vs asynchronous
// task(pid), and greenlets polling (select) while another one works.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

TEST_CASE("foo and bar switch explicitly through sleep(0)", "[seeds][switch]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto foo = [&] {
    print("Running in foo");
    green::sleep(0);
    print("Explicit context switch to foo again");
  };
  auto bar = [&] {
    print("Explicit context to bar");
    green::sleep(0);
    print("Implicit context switch back to bar");
  };
  green::joinall({green::spawn(foo), green::spawn(bar)});
  CHECK(print.lines == Lines{"Running in foo", "Explicit context to bar",
                             "Explicit context switch to foo again",
                             "Implicit context switch back to bar"});
}

TEST_CASE("the first seed's foo and bar show the same order", "[seeds][switch]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto foo = [&] {
    print("running in foo");
    green::sleep(0);
    print("com back from bar in to foo");
  };
  auto bar = [&] {
    print("running in bar");
    green::sleep(0);
    print("com back from foo in to bar");
  };
  green::joinall({green::spawn(foo), green::spawn(bar)});
  CHECK(print.lines == Lines{"running in foo", "running in bar", "com back from bar in to foo",
                             "com back from foo in to bar"});
}

namespace {

// Spawns f(5) three times as g1, g2, g3 and joins them one by one, as the seed does.
Lines run_three_f5(bool yield_each_step) {
  Printed print;
  auto f = [&](int n) {
    for (int i = 0; i < n; ++i) {
      print(green::getcurrent().name(), i);
      if (yield_each_step) green::sleep(0);
    }
  };
  std::vector<green::GreenletPtr<void>> greenlets;
  for (const char* name : {"g1", "g2", "g3"}) {
    auto greenlet = green::make_greenlet(f, 5);
    greenlet->set_name(name);
    greenlet->start();
    greenlets.push_back(greenlet);
  }
  for (auto& greenlet : greenlets) greenlet->join();
  return print.lines;
}

}  // namespace

TEST_CASE("three f(5) greenlets without a switch run one after another", "[seeds][switch]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  CHECK(run_three_f5(false) == Lines{"g1 0", "g1 1", "g1 2", "g1 3", "g1 4",  //
                                     "g2 0", "g2 1", "g2 2", "g2 3", "g2 4",  //
                                     "g3 0", "g3 1", "g3 2", "g3 3", "g3 4"});
}

TEST_CASE("three f(5) greenlets yielding with sleep(0) take turns", "[seeds][switch]") {
  // The seed's printout swaps g2 and g3 in rounds 1 and 3 (old gevent's libevent
  // callback order); green's ready queue is FIFO, so every round is g1, g2, g3.
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  CHECK(run_three_f5(true) == Lines{"g1 0", "g2 0", "g3 0", "g1 1", "g2 1", "g3 1",  //
                                    "g1 2", "g2 2", "g3 2", "g1 3", "g2 3", "g3 3",  //
                                    "g1 4", "g2 4", "g3 4"});
}

namespace {

// The seeds' task(pid): sleeps random.randint(0, 2) * 0.001 seconds, then prints.
struct Tasks {
  explicit Tasks(unsigned seed) : random(seed) {}
  int randint_0_2() { return static_cast<int>(random() % 3); }

  void task(int pid) {
    double delay = randint_0_2() * 0.001;
    delays.push_back(delay);
    green::sleep(delay);
    print("Task", pid, "done");
  }

  std::mt19937 random;
  std::vector<double> delays;  // in the order the tasks drew them
  Printed print;
};

}  // namespace

TEST_CASE("synchronous tasks run in order and take the sum of their sleeps", "[seeds][switch]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Tasks tasks(2024);
  double start = hub.now();
  for (int pid = 1; pid < 10; ++pid) tasks.task(pid);
  double elapsed = hub.now() - start;

  Lines expected;
  for (int pid = 1; pid < 10; ++pid) expected.push_back("Task " + std::to_string(pid) + " done");
  CHECK(tasks.print.lines == expected);
  CHECK(elapsed == Approx(std::accumulate(tasks.delays.begin(), tasks.delays.end(), 0.0)));
}

TEST_CASE("asynchronous tasks finish by sleep length and take the longest sleep",
          "[seeds][switch]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Tasks tasks(2024);
  double start = hub.now();
  std::vector<green::Greenlet::Ptr> threads;
  for (int pid = 0; pid < 10; ++pid)
    threads.push_back(green::spawn([&tasks, pid] { tasks.task(pid); }));
  green::joinall(threads);
  double elapsed = hub.now() - start;

  // Each greenlet drew its delay when it first ran, in spawn order (pid order).
  REQUIRE(tasks.delays.size() == 10);
  double longest = *std::max_element(tasks.delays.begin(), tasks.delays.end());
  double sum = std::accumulate(tasks.delays.begin(), tasks.delays.end(), 0.0);
  CHECK(elapsed == Approx(longest));
  CHECK(elapsed < sum);

  // The seed's order looks random, but it is only the sleeps: shorter sleeps finish
  // first, equal sleeps in spawn order. Same seed, same order.
  std::vector<int> pids(10);
  std::iota(pids.begin(), pids.end(), 0);
  std::stable_sort(pids.begin(), pids.end(),
                   [&](int a, int b) { return tasks.delays[a] < tasks.delays[b]; });
  Lines expected;
  for (int pid : pids) expected.push_back("Task " + std::to_string(pid) + " done");
  CHECK(tasks.print.lines == expected);
  CHECK(expected != Lines{"Task 0 done", "Task 1 done", "Task 2 done", "Task 3 done", "Task 4 done",
                          "Task 5 done", "Task 6 done", "Task 7 done", "Task 8 done",
                          "Task 9 done"});  // the seed's point: not in order
}

TEST_CASE("two greenlets poll while a third does some stuff", "[seeds][switch][io]") {
  // The seed's gr1/gr2 block in select([], [], [], 2); here they wait for a pipe
  // that never becomes readable, with a 2 s timeout.
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  double start = hub.now();
  auto tic = [&] {
    char text[32];
    std::snprintf(text, sizeof text, "at %1.1f seconds", hub.now() - start);
    return std::string(text);
  };
  Printed print;
  auto poller = [&] {
    print("Started Polling:", tic());
    CHECK_FALSE(green::wait_readable(fds[0], 2));
    print("Ended Polling:", tic());
  };
  auto gr3 = [&] {
    print("Hey lets do some stuff while the greenlets poll,", tic());
    green::sleep(1);
  };
  green::joinall({green::spawn(poller), green::spawn(poller), green::spawn(gr3)});
  close(fds[0]);
  close(fds[1]);
  CHECK(print.lines == Lines{"Started Polling: at 0.0 seconds", "Started Polling: at 0.0 seconds",
                             "Hey lets do some stuff while the greenlets poll, at 0.0 seconds",
                             "Ended Polling: at 2.0 seconds", "Ended Polling: at 2.0 seconds"});
}
