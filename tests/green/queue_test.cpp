// green::Queue, LifoQueue and PriorityQueue: ordering, bounds, Empty/Full on nowait
// and timeout, FIFO service of blocked getters and putters, items never lost when a
// served getter unwinds, peek, task_done/join, move-only items.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "green/green.hpp"
#include "green/queue.hpp"

namespace {
green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("Queue is FIFO and reports its size", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  CHECK(queue.empty());
  CHECK_FALSE(queue.full());
  CHECK(queue.maxsize() == 0);
  for (int i = 1; i <= 3; ++i) queue.put(i);
  CHECK(queue.qsize() == 3);
  CHECK(queue.get() == 1);
  CHECK(queue.get_nowait() == 2);
  CHECK(queue.get(false) == 3);
  CHECK(queue.empty());
}

TEST_CASE("Queue nowait calls raise Empty and Full", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue(2);
  CHECK_THROWS_AS(queue.get_nowait(), green::Empty);
  CHECK_THROWS_AS(queue.peek_nowait(), green::Empty);
  queue.put_nowait(1);
  queue.put(2, false);
  CHECK(queue.full());
  CHECK_THROWS_AS(queue.put_nowait(3), green::Full);
  CHECK(queue.qsize() == 2);
  CHECK(hub.now() == 0);
}

TEST_CASE("Queue get and put with a timeout raise at the deadline", "[queue][timeout]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue(1);
  CHECK_THROWS_AS(queue.get(true, 0.5), green::Empty);
  CHECK(hub.now() == Approx(0.5));
  queue.put(1);
  CHECK_THROWS_AS(queue.put(2, true, 0.25), green::Full);
  CHECK(hub.now() == Approx(0.75));
  CHECK(queue.qsize() == 1);
  CHECK(queue.get() == 1);
  // The timed-out waiters are gone: both directions still work.
  queue.put(3);
  CHECK(queue.get(true, 1) == 3);
}

TEST_CASE("Queue serves blocked getters in FIFO order", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<std::string> queue;
  std::vector<std::string> log;
  auto getter = [&](std::string name) { log.push_back(name + " got " + queue.get()); };
  auto a = green::spawn(getter, std::string("a"));
  auto b = green::spawn(getter, std::string("b"));
  auto c = green::spawn(getter, std::string("c"));
  green::sleep(1);
  queue.put("x");
  queue.put("y");
  queue.put("z");
  CHECK(queue.empty());  // handed straight to the waiting getters
  green::joinall(green::greenlets(a, b, c));
  CHECK(log == std::vector<std::string>{"a got x", "b got y", "c got z"});
}

TEST_CASE("Queue admits blocked putters in FIFO order", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue(1);
  queue.put(0);
  auto p1 = green::spawn([&] { queue.put(1); });
  auto p2 = green::spawn([&] { queue.put(2); });
  auto p3 = green::spawn([&] { queue.put(3); });
  green::sleep(1);
  std::vector<int> got;
  for (int i = 0; i < 4; ++i) got.push_back(queue.get());
  CHECK(got == std::vector<int>{0, 1, 2, 3});
  green::joinall(green::greenlets(p1, p2, p3));
  CHECK(queue.empty());
}

namespace {
// Counts how often it is moved and copied.
struct Tracked {
  static inline int moves = 0;
  static inline int copies = 0;
  int value = 0;
  explicit Tracked(int v) : value(v) {}
  Tracked(Tracked&& other) noexcept : value(other.value) { ++moves; }
  Tracked(const Tracked& other) : value(other.value) { ++copies; }
  Tracked& operator=(Tracked&& other) noexcept {
    value = other.value;
    ++moves;
    return *this;
  }
  Tracked& operator=(const Tracked& other) {
    value = other.value;
    ++copies;
    return *this;
  }
};
}  // namespace

TEST_CASE("Queue put moves an rvalue once, a blocked putter's too, and copies an lvalue",
          "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<Tracked> queue(1);
  Tracked::moves = Tracked::copies = 0;
  queue.put(Tracked(1));  // room: straight in
  CHECK(Tracked::moves == 1);
  auto putter = green::spawn([&] {
    Tracked item(2);
    queue.put(std::move(item));  // full: waits, its item where it is
  });
  green::sleep(1);
  CHECK(Tracked::moves == 1);
  CHECK(queue.get().value == 1);  // makes room: the waiting item moves in, once
  CHECK(Tracked::moves == 3);     // out (get) and in (the waiting put)
  putter->join();
  CHECK(queue.get().value == 2);
  Tracked kept(3);
  queue.put(kept);
  CHECK(Tracked::copies == 1);
  CHECK(kept.value == 3);
  // A put that times out leaves the caller's item as it was.
  Tracked late(4);
  CHECK_THROWS_AS(queue.put(std::move(late), true, 0.5), green::Full);
  CHECK(late.value == 4);
  CHECK(queue.get().value == 3);
}

TEST_CASE("Queue bounded boss and workers as in the seeds", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> tasks(3);
  std::vector<std::string> log;
  auto worker = [&](std::string name) {
    try {
      for (;;) {
        int task = tasks.get(true, 1);
        log.push_back("Worker " + name + " got task " + std::to_string(task));
        green::sleep(0);
      }
    } catch (const green::Empty&) {
      log.push_back("Quitting time!");
    }
  };
  auto boss = [&] {
    for (int i = 1; i < 10; ++i) tasks.put(i);
    log.push_back("Assigned all work in iteration 1");
    for (int i = 10; i < 20; ++i) tasks.put(i);
    log.push_back("Assigned all work in iteration 2");
  };
  auto run = [&] {
    auto b = green::spawn(boss);  // spawned in statements: call arguments are unsequenced
    auto steve = green::spawn(worker, std::string("steve"));
    auto john = green::spawn(worker, std::string("john"));
    auto bob = green::spawn(worker, std::string("bob"));
    green::joinall(green::greenlets(b, steve, john, bob));
  };
  run();
  CHECK(log.size() == 19 + 2 + 3);
  CHECK(log.front() == "Worker steve got task 1");
  CHECK(log.back() == "Quitting time!");
  CHECK(hub.now() == 1);
  // Deterministic: the same log on a second run.
  std::vector<std::string> first = log;
  log.clear();
  run();
  CHECK(log == first);
}

TEST_CASE("Queue item handed to a getter killed before it ran goes to the next getter",
          "[queue][kill]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  std::vector<int> b_got;
  auto a = green::spawn([&] { return queue.get(); });
  auto b = green::spawn([&] {
    b_got.push_back(queue.get());
    b_got.push_back(queue.get());
  });
  green::sleep(0);
  queue.put(1);  // handed to a, which has not run yet
  queue.put(2);  // handed to b
  a->kill();     // a unwinds: 1 goes back to the head of the queue
  b->join();
  CHECK(b_got == std::vector<int>{2, 1});
  CHECK(queue.empty());
}

TEST_CASE("Queue item of a killed served getter returns to the head of the queue",
          "[queue][kill]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  auto a = green::spawn([&] { return queue.get(); });
  green::sleep(0);
  queue.put(1);
  queue.put(2);
  a->kill();
  CHECK(queue.qsize() == 2);
  CHECK(queue.get() == 1);
  CHECK(queue.get() == 2);
}

TEST_CASE("Queue getter hit by a Timeout after being served keeps the item safe",
          "[queue][timeout]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  bool a_timed_out = false;
  auto a = green::spawn([&] {
    try {
      green::Timeout timeout(1);
      queue.get();
    } catch (const green::TimeoutError&) {
      a_timed_out = true;
    }
  });
  green::sleep(1);  // armed before a's Timeout: main runs first in that turn
  queue.put(7);
  a->join();
  CHECK(a_timed_out);
  CHECK(queue.get_nowait() == 7);
}

TEST_CASE("Queue getter whose own timeout fired is skipped by put", "[queue][timeout]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  bool empty_raised = false;
  auto a = green::spawn([&] {
    try {
      queue.get(true, 1);
    } catch (const green::Empty&) {
      empty_raised = true;
    }
  });
  green::sleep(1);
  queue.put(7);
  a->join();
  CHECK(empty_raised);
  CHECK(queue.qsize() == 1);
}

TEST_CASE("Queue putter killed while waiting leaves its item out", "[queue][kill]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue(1);
  queue.put(1);
  auto putter = green::spawn([&] { queue.put(2); });
  auto other = green::spawn([&] { queue.put(3); });
  green::sleep(1);
  putter->kill();
  CHECK(queue.get() == 1);
  CHECK(queue.get() == 3);
  CHECK(queue.empty());
  other->join();
}

TEST_CASE("Queue putter killed after its item was admitted leaves the item in", "[queue][kill]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue(1);
  queue.put(1);
  auto putter = green::spawn([&] { queue.put(2); });
  green::sleep(0);
  CHECK(queue.get() == 1);  // admits 2 on the putter's behalf
  putter->kill();
  CHECK(queue.qsize() == 1);
  CHECK(queue.get() == 2);
}

TEST_CASE("Queue peek returns the head without taking it", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<std::string> queue;
  std::vector<std::string> log;
  auto peeker = green::spawn([&] { log.push_back("peek " + queue.peek()); });
  auto getter = green::spawn([&] { log.push_back("get " + queue.get()); });
  green::sleep(1);
  queue.put("x");
  green::joinall(green::greenlets(peeker, getter));
  CHECK(log == std::vector<std::string>{"peek x", "get x"});
  CHECK(queue.empty());
  queue.put("y");
  CHECK(queue.peek() == "y");
  CHECK(queue.peek_nowait() == "y");
  CHECK(queue.qsize() == 1);
  CHECK_THROWS_AS(green::Queue<int>().peek(true, 2), green::Empty);
  CHECK(hub.now() == 3);
}

TEST_CASE("Queue task_done and join", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  CHECK(queue.join(0));
  CHECK_THROWS_AS(queue.task_done(), green::UsageError);
  std::vector<int> done;
  auto worker = green::spawn([&] {
    for (;;) {
      int item = queue.get();
      green::sleep(1);
      done.push_back(item);
      queue.task_done();
    }
  });
  for (int i = 0; i < 3; ++i) queue.put(i);
  CHECK(queue.unfinished_tasks() == 3);
  CHECK_FALSE(queue.join(1.5));
  CHECK(hub.now() == Approx(1.5));
  CHECK(queue.join());
  CHECK(hub.now() == 3);
  CHECK(done == std::vector<int>{0, 1, 2});
  CHECK(queue.unfinished_tasks() == 0);
  worker->kill();
}

TEST_CASE("LifoQueue returns the newest item first", "[queue]") {
  green::Hub hub(virtual_clock());
  green::LifoQueue<int> queue;
  for (int i = 1; i <= 3; ++i) queue.put(i);
  CHECK(queue.peek() == 3);
  CHECK(queue.get() == 3);
  CHECK(queue.get() == 2);
  queue.put(4);
  CHECK(queue.get() == 4);
  CHECK(queue.get() == 1);
}

TEST_CASE("LifoQueue item of a killed served getter goes back on top", "[queue][kill]") {
  green::Hub hub(virtual_clock());
  green::LifoQueue<int> queue;
  auto a = green::spawn([&] { return queue.get(); });
  green::sleep(0);
  queue.put(1);
  queue.put(2);
  a->kill();
  CHECK(queue.get() == 1);
  CHECK(queue.get() == 2);
}

TEST_CASE("PriorityQueue returns the lowest first and equal ones in insertion order", "[queue]") {
  green::Hub hub(virtual_clock());
  using Job = std::pair<int, std::string>;
  auto by_priority = [](const Job& a, const Job& b) { return a.first < b.first; };
  green::PriorityQueue<Job, decltype(by_priority)> queue(
      0, green::PriorityOrder<Job, decltype(by_priority)>(by_priority));
  queue.put({2, "b1"});
  queue.put({1, "a1"});
  queue.put({3, "c1"});
  queue.put({2, "b2"});
  queue.put({1, "a2"});
  queue.put({2, "b3"});
  std::vector<std::string> order;
  while (!queue.empty()) order.push_back(queue.get().second);
  CHECK(order == std::vector<std::string>{"a1", "a2", "b1", "b2", "b3", "c1"});
}

TEST_CASE("PriorityQueue with std greater returns the highest first", "[queue]") {
  green::Hub hub(virtual_clock());
  green::PriorityQueue<int, std::greater<int>> queue;
  for (int v : {3, 9, 1, 7}) queue.put(v);
  std::vector<int> order;
  while (!queue.empty()) order.push_back(queue.get());
  CHECK(order == std::vector<int>{9, 7, 3, 1});
}

TEST_CASE("PriorityQueue item of a killed served getter keeps its place", "[queue][kill]") {
  green::Hub hub(virtual_clock());
  using Job = std::pair<int, std::string>;
  auto by_priority = [](const Job& a, const Job& b) { return a.first < b.first; };
  green::PriorityQueue<Job, decltype(by_priority)> queue(
      0, green::PriorityOrder<Job, decltype(by_priority)>(by_priority));
  auto a = green::spawn([&] { return queue.get(); });
  green::sleep(0);
  queue.put({1, "first"});  // handed to a
  queue.put({1, "second"});
  a->kill();
  CHECK(queue.get().second == "first");
  CHECK(queue.get().second == "second");
}

TEST_CASE("PriorityQueue bounded blocks putters", "[queue]") {
  green::Hub hub(virtual_clock());
  green::PriorityQueue<int> queue(2);
  queue.put(5);
  queue.put(1);
  auto putter = green::spawn([&] { queue.put(3); });
  green::sleep(1);
  CHECK(queue.full());
  CHECK(queue.get() == 1);
  CHECK(queue.get() == 3);
  CHECK(queue.get() == 5);
  putter->join();
}

TEST_CASE("Queue carries move-only items", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<std::unique_ptr<int>> queue(1);
  auto consumer = green::spawn([&] {
    int sum = 0;
    for (int i = 0; i < 3; ++i) sum += *queue.get();
    return sum;
  });
  for (int i = 1; i <= 3; ++i) queue.put(std::make_unique<int>(i));
  CHECK(consumer->get() == 6);
}

TEST_CASE("Queue get inside a green Timeout propagates TimeoutError", "[queue][timeout]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  bool timed_out = false;
  try {
    green::Timeout timeout(2);
    queue.get();
  } catch (const green::TimeoutError&) {
    timed_out = true;
  }
  CHECK(timed_out);
  CHECK(hub.now() == 2);
  queue.put(1);
  CHECK(queue.get() == 1);
}

TEST_CASE("Queue get that nothing can satisfy raises LoopExit in main", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  CHECK_THROWS_AS(queue.get(), green::LoopExit);
  queue.put(1);
  CHECK(queue.get() == 1);
}

TEST_CASE("Queue put_nowait from a hub callback wakes main", "[queue]") {
  green::Hub hub(virtual_clock());
  green::Queue<int> queue;
  green::Timer timer(hub, [&] { queue.put_nowait(11); });
  timer.start(1);
  CHECK(queue.get() == 11);
  CHECK(hub.now() == 1);
}
