// The seeds' locks and semaphores: BoundedSemaphore(2) shared by workers that
// acquire/release by hand (worker1) and with a scoped guard (worker2, `with sem:`),
// run through pool.map; a Lock as a semaphore of one; over-release refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/pool.hpp"
#include "green/semaphore.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

TEST_CASE("BoundedSemaphore(2) lets two workers in at a time", "[seeds][semaphore]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::BoundedSemaphore sem(2);
  Printed print;
  // Group::map needs a value per input; the seed's workers return None, so these
  // return their n.
  auto worker1 = [&](const int& n) {
    sem.acquire();
    print("Worker " + std::to_string(n) + " acquired semaphore");
    green::sleep(0);
    sem.release();
    print("Worker " + std::to_string(n) + " released semaphore");
    return n;
  };
  auto worker2 = [&](const int& n) {
    {
      green::SemaphoreGuard<green::BoundedSemaphore> with_sem(sem);
      print("Worker " + std::to_string(n) + " acquired semaphore");
      green::sleep(0);
    }
    print("Worker " + std::to_string(n) + " released semaphore");
    return n;
  };

  green::Pool pool(10);  // the seed's Pool() is unbounded; 10 is more than enough
  CHECK(pool.map(worker1, std::vector<int>{0, 1}) == std::vector<int>{0, 1});
  CHECK(pool.map(worker2, std::vector<int>{3, 4, 5}) == std::vector<int>{3, 4, 5});

  // gevent's tutorial prints exactly this.
  CHECK(print.lines == Lines{"Worker 0 acquired semaphore", "Worker 1 acquired semaphore",
                             "Worker 0 released semaphore", "Worker 1 released semaphore",
                             "Worker 3 acquired semaphore", "Worker 4 acquired semaphore",
                             "Worker 3 released semaphore", "Worker 4 released semaphore",
                             "Worker 5 acquired semaphore", "Worker 5 released semaphore"});
  CHECK(sem.counter() == 2);
}

TEST_CASE("a semaphore of one is a lock: one greenlet at a time", "[seeds][semaphore]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Lock lock;
  int inside = 0;
  int most_inside = 0;
  std::vector<int> order;
  auto use_resource = [&](int n) {
    std::lock_guard<green::Lock> hold(lock);  // std's Lockable works too
    most_inside = std::max(most_inside, ++inside);
    order.push_back(n);
    green::sleep(0.5);
    --inside;
  };
  std::vector<green::Greenlet::Ptr> users;
  for (int n = 0; n < 4; ++n) users.push_back(green::spawn(use_resource, n));
  green::joinall(users);
  CHECK(most_inside == 1);
  CHECK(order == std::vector<int>{0, 1, 2, 3});  // FIFO: no barging
  CHECK(hub.now() == 2.0);
}

TEST_CASE("a BoundedSemaphore refuses a release beyond its bound", "[seeds][semaphore]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::BoundedSemaphore sem(2);
  CHECK_THROWS_AS(sem.release(), green::UsageError);
  CHECK(sem.acquire());
  CHECK(sem.acquire());
  CHECK(sem.locked());
  CHECK_FALSE(sem.acquire(false));
  CHECK_FALSE(sem.acquire(true, 0.25));  // acquire(timeout=...) expires
  CHECK(hub.now() == 0.25);
  sem.release();
  sem.release();
  CHECK_THROWS_AS(sem.release(), green::UsageError);
}
