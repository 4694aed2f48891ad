// green::Semaphore and BoundedSemaphore: counting, FIFO hand-off without barging,
// timeouts, and the case Waiter's contract warns about: a waiter woken with a
// permit that unwinds (kill, Timeout) before it runs must pass the permit on.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/semaphore.hpp"

namespace {
green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("Semaphore counts permits", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(2);
  CHECK(sem.counter() == 2);
  CHECK_FALSE(sem.locked());
  CHECK(sem.acquire());
  CHECK(sem.acquire(false));
  CHECK(sem.counter() == 0);
  CHECK(sem.locked());
  CHECK_FALSE(sem.acquire(false));
  CHECK_FALSE(sem.acquire(true, 0));
  sem.release();
  sem.release();
  sem.release();  // an unbounded Semaphore may grow past its initial value
  CHECK(sem.counter() == 3);
  CHECK(hub.now() == 0);
}

TEST_CASE("Semaphore serves waiters in FIFO order", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  std::vector<std::string> order;
  auto taker = [&](std::string name) {
    sem.acquire();
    order.push_back(name);
  };
  auto a = green::spawn(taker, std::string("a"));
  auto b = green::spawn(taker, std::string("b"));
  auto c = green::spawn(taker, std::string("c"));
  green::sleep(1);
  sem.release();
  sem.release();
  sem.release();
  green::joinall(green::greenlets(a, b, c));
  CHECK(order == std::vector<std::string>{"a", "b", "c"});
  CHECK(sem.counter() == 0);
}

TEST_CASE("Semaphore hands a released permit to the waiter, no barging", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  bool waiter_got = false;
  auto waiter = green::spawn([&] { waiter_got = sem.acquire(); });
  green::sleep(0);
  sem.release();
  // The permit belongs to the waiter although it has not run yet.
  CHECK(sem.counter() == 0);
  CHECK(sem.locked());
  CHECK_FALSE(sem.acquire(false));
  waiter->join();
  CHECK(waiter_got);
}

TEST_CASE("Semaphore acquire with a timeout fails at the deadline and leaves no waiter",
          "[semaphore][timeout]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  CHECK_FALSE(sem.acquire(true, 0.75));
  CHECK(hub.now() == Approx(0.75));
  sem.release();
  CHECK(sem.counter() == 1);  // nobody was waiting any more
}

TEST_CASE("Semaphore waiter killed after release woke it passes the permit on",
          "[semaphore][kill]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  std::vector<std::string> got;
  auto a = green::spawn([&] {
    sem.acquire();
    got.push_back("a");
  });
  auto b = green::spawn([&] {
    sem.acquire();
    got.push_back("b");
    sem.release();
  });
  green::sleep(0);
  sem.release();  // hands the permit to a, which has not run yet
  a->kill();      // a unwinds from acquire() holding the permit
  CHECK(a->dead());
  b->join();
  CHECK(got == std::vector<std::string>{"b"});
  CHECK(sem.counter() == 1);  // b's permit came back: none lost, none invented
}

TEST_CASE("Semaphore permit of a killed woken waiter returns to the counter", "[semaphore][kill]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  auto a = green::spawn([&] { sem.acquire(); });
  green::sleep(0);
  sem.release();
  a->kill();
  CHECK(sem.counter() == 1);
}

TEST_CASE("Semaphore waiter hit by a Timeout after release woke it passes the permit on",
          "[semaphore][timeout]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  bool a_timed_out = false;
  bool b_got = false;
  auto a = green::spawn([&] {
    try {
      green::Timeout timeout(1);
      sem.acquire();
    } catch (const green::TimeoutError&) {
      a_timed_out = true;
    }
  });
  auto b = green::spawn([&] { b_got = sem.acquire(); });
  // main's timer is armed before a's Timeout (both due at t=1), so main runs first
  // in that turn and releases while a already has TimeoutError pending.
  green::sleep(1);
  sem.release();
  green::joinall(green::greenlets(a, b));
  CHECK(a_timed_out);
  CHECK(b_got);
  CHECK(sem.counter() == 0);
}

TEST_CASE("Semaphore waiter whose own timeout fired is skipped by release",
          "[semaphore][timeout]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  bool a_result = true;
  auto a = green::spawn([&] { a_result = sem.acquire(true, 1); });
  // Same turn again: a's wait has timed out but a has not run when main releases.
  green::sleep(1);
  sem.release();
  a->join();
  CHECK_FALSE(a_result);
  CHECK(sem.counter() == 1);
}

TEST_CASE("Semaphore waiter killed while waiting is removed", "[semaphore][kill]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  auto a = green::spawn([&] { sem.acquire(); });
  bool b_got = false;
  auto b = green::spawn([&] { b_got = sem.acquire(); });
  green::sleep(1);
  a->kill();
  sem.release();
  b->join();
  CHECK(b_got);
  CHECK(sem.counter() == 0);
}

TEST_CASE("Semaphore wait returns when a permit is free without taking it", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  std::vector<std::string> log;
  auto watcher = green::spawn([&] {
    std::size_t free = sem.wait();
    log.push_back("watcher sees " + std::to_string(free));
  });
  auto taker = green::spawn([&] {
    sem.acquire();
    log.push_back("taker");
  });
  green::sleep(1);
  sem.release();  // wakes the watcher (ahead in line), then gives the permit to taker
  green::joinall(green::greenlets(watcher, taker));
  CHECK(log == std::vector<std::string>{"watcher sees 0", "taker"});
  CHECK(sem.counter() == 0);
  CHECK(sem.wait(2) == 0);
  CHECK(hub.now() == Approx(3));
  sem.release();
  CHECK(sem.wait() == 1);
  CHECK(sem.counter() == 1);
}

TEST_CASE("BoundedSemaphore rejects a release above its initial value", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::BoundedSemaphore sem(2);
  CHECK_THROWS_AS(sem.release(), green::UsageError);
  CHECK(sem.counter() == 2);
  sem.acquire();
  sem.release();
  CHECK_THROWS_AS(sem.release(), green::UsageError);
  // A permit handed to a waiter counts as held.
  sem.acquire();
  sem.acquire();
  auto waiter = green::spawn([&] { sem.acquire(); });
  green::sleep(0);
  sem.release();
  waiter->join();
  sem.release();
  sem.release();
  CHECK(sem.counter() == 2);
  CHECK_THROWS_AS(sem.release(), green::UsageError);
}

TEST_CASE("BoundedSemaphore limits workers as in the seeds", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::BoundedSemaphore sem(2);
  std::vector<std::string> log;
  int inside = 0;
  int most_inside = 0;
  auto worker = [&](int n) {
    green::SemaphoreGuard guard(sem);
    ++inside;
    most_inside = std::max(most_inside, inside);
    log.push_back("Worker " + std::to_string(n) + " acquired semaphore");
    green::sleep(0);
    --inside;
    log.push_back("Worker " + std::to_string(n) + " released semaphore");
  };
  std::vector<green::Greenlet::Ptr> workers;
  for (int n = 0; n < 4; ++n) workers.push_back(green::spawn(worker, n));
  green::joinall(workers);
  CHECK(most_inside == 2);
  CHECK(log ==
        std::vector<std::string>{"Worker 0 acquired semaphore", "Worker 1 acquired semaphore",
                                 "Worker 0 released semaphore", "Worker 1 released semaphore",
                                 "Worker 2 acquired semaphore", "Worker 3 acquired semaphore",
                                 "Worker 2 released semaphore", "Worker 3 released semaphore"});
  CHECK(sem.counter() == 2);
}

TEST_CASE("SemaphoreGuard releases when the scope unwinds", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(1);
  try {
    green::SemaphoreGuard guard(sem);
    CHECK(sem.locked());
    throw std::runtime_error("leave");
  } catch (const std::runtime_error&) {
  }
  CHECK(sem.counter() == 1);
  auto holder = green::spawn([&] {
    green::SemaphoreGuard guard(sem);
    green::sleep(10);
  });
  green::sleep(1);
  CHECK(sem.locked());
  holder->kill();
  CHECK(sem.counter() == 1);
}

TEST_CASE("Semaphore works with std lock_guard and unique_lock try_lock_for",
          "[semaphore][timeout]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(1);
  {
    std::lock_guard<green::Semaphore> guard(sem);
    CHECK(sem.locked());
    auto other = green::spawn([&] {
      std::unique_lock<green::Semaphore> lock(sem, std::chrono::milliseconds(500));
      return lock.owns_lock();
    });
    CHECK_FALSE(other->get());
    CHECK(hub.now() == Approx(0.5));
  }
  CHECK(sem.counter() == 1);
  std::unique_lock<green::Semaphore> lock(sem, std::try_to_lock);
  CHECK(lock.owns_lock());
}

TEST_CASE("Semaphore release from a hub callback wakes main", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  green::Timer timer(hub, [&] { sem.release(); });
  timer.start(2);
  CHECK(sem.acquire());
  CHECK(hub.now() == 2);
}

TEST_CASE("Semaphore blocking acquire that nothing can satisfy raises LoopExit", "[semaphore]") {
  green::Hub hub(virtual_clock());
  green::Semaphore sem(0);
  CHECK_THROWS_AS(sem.acquire(), green::LoopExit);
  sem.release();
  CHECK(sem.counter() == 1);
}

TEST_CASE("Semaphore hand-off order is the same on every run", "[semaphore]") {
  auto run = [] {
    green::Hub hub(virtual_clock());
    green::Semaphore sem(3);
    std::vector<int> order;
    std::vector<green::Greenlet::Ptr> workers;
    for (int i = 0; i < 12; ++i) {
      workers.push_back(green::spawn([&, i] {
        green::SemaphoreGuard guard(sem);
        green::sleep(0.1 * ((i * 7) % 5));
        order.push_back(i);
      }));
    }
    green::joinall(workers);
    return order;
  };
  std::vector<int> first = run();
  CHECK(first.size() == 12);
  for (int i = 0; i < 3; ++i) CHECK(run() == first);
}
