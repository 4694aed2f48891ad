// green::Lock and green::RLock: mutual exclusion in FIFO order, misuse as UsageError,
// re-entrance and ownership by greenlet, timeouts and kills while waiting.
#include <catch2/catch.hpp>

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

TEST_CASE("Lock admits one greenlet at a time in arrival order", "[lock]") {
  green::Hub hub(virtual_clock());
  green::Lock lock;
  std::vector<std::string> log;
  int inside = 0;
  bool overlapped = false;
  auto worker = [&](std::string name) {
    std::lock_guard<green::Lock> guard(lock);
    overlapped = overlapped || inside > 0;
    ++inside;
    log.push_back(name + " in");
    green::sleep(1);
    log.push_back(name + " out");
    --inside;
  };
  auto a = green::spawn(worker, std::string("a"));
  auto b = green::spawn(worker, std::string("b"));
  auto c = green::spawn(worker, std::string("c"));
  green::joinall(green::greenlets(a, b, c));
  CHECK_FALSE(overlapped);
  CHECK(log == std::vector<std::string>{"a in", "a out", "b in", "b out", "c in", "c out"});
  CHECK(hub.now() == 3);
}

TEST_CASE("Lock release when unlocked is a usage error", "[lock]") {
  green::Hub hub(virtual_clock());
  green::Lock lock;
  CHECK_FALSE(lock.locked());
  CHECK_THROWS_AS(lock.release(), green::UsageError);
  lock.acquire();
  CHECK(lock.locked());
  CHECK_FALSE(lock.acquire(false));
  // Not owned: another greenlet may release it.
  auto other = green::spawn([&] { lock.release(); });
  other->join();
  CHECK_FALSE(lock.locked());
}

TEST_CASE("Lock acquire with a timeout fails at the deadline", "[lock][timeout]") {
  green::Hub hub(virtual_clock());
  green::Lock lock;
  lock.acquire();
  auto other = green::spawn([&] { return lock.acquire(true, 2); });
  CHECK_FALSE(other->get());
  CHECK(hub.now() == 2);
  lock.release();
  CHECK_FALSE(lock.locked());
}

TEST_CASE("RLock is re-entrant for its owner", "[rlock]") {
  green::Hub hub(virtual_clock());
  green::RLock rlock;
  CHECK_FALSE(rlock.locked());
  CHECK_FALSE(rlock.is_owned());
  CHECK(rlock.acquire());
  CHECK(rlock.acquire());
  CHECK(rlock.acquire(false));
  CHECK(rlock.is_owned());
  CHECK(rlock.locked());
  bool other_got = false;
  auto other = green::spawn([&] {
    CHECK_FALSE(rlock.is_owned());
    CHECK_FALSE(rlock.acquire(false));
    other_got = rlock.acquire();
    rlock.release();
  });
  green::sleep(1);
  rlock.release();
  rlock.release();
  green::sleep(1);
  CHECK_FALSE(other_got);  // still held once
  rlock.release();
  other->join();
  CHECK(other_got);
  CHECK_FALSE(rlock.locked());
}

TEST_CASE("RLock release by a non-owner is a usage error", "[rlock]") {
  green::Hub hub(virtual_clock());
  green::RLock rlock;
  CHECK_THROWS_AS(rlock.release(), green::UsageError);
  rlock.acquire();
  bool usage_error = false;
  auto other = green::spawn([&] {
    try {
      rlock.release();
    } catch (const green::UsageError&) {
      usage_error = true;
    }
  });
  other->join();
  CHECK(usage_error);
  CHECK(rlock.is_owned());
  rlock.release();
}

TEST_CASE("RLock waiters are served FIFO and each becomes the owner", "[rlock]") {
  green::Hub hub(virtual_clock());
  green::RLock rlock;
  std::vector<std::string> log;
  auto worker = [&](std::string name) {
    std::lock_guard<green::RLock> outer(rlock);
    {
      green::SemaphoreGuard inner(rlock);  // re-entry
      log.push_back(name);
      CHECK(rlock.is_owned());
      green::sleep(1);
    }
  };
  auto a = green::spawn(worker, std::string("a"));
  auto b = green::spawn(worker, std::string("b"));
  auto c = green::spawn(worker, std::string("c"));
  green::joinall(green::greenlets(a, b, c));
  CHECK(log == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(rlock.locked());
  CHECK(hub.now() == 3);
}

TEST_CASE("RLock waiter killed after release woke it passes the lock on", "[rlock][kill]") {
  green::Hub hub(virtual_clock());
  green::RLock rlock;
  rlock.acquire();
  bool a_got = false;
  bool b_got = false;
  auto a = green::spawn([&] { a_got = rlock.acquire(); });
  auto b = green::spawn([&] {
    b_got = rlock.acquire();
    CHECK(rlock.is_owned());
    rlock.release();
  });
  green::sleep(0);
  rlock.release();  // hands the lock to a, which has not run yet
  CHECK(rlock.locked());
  a->kill();
  b->join();
  CHECK_FALSE(a_got);
  CHECK(b_got);
  CHECK_FALSE(rlock.locked());
}

TEST_CASE("RLock acquire with a timeout fails at the deadline", "[rlock][timeout]") {
  green::Hub hub(virtual_clock());
  green::RLock rlock;
  auto holder = green::spawn([&] {
    rlock.acquire();
    green::sleep(5);
    rlock.release();
  });
  green::sleep(0);
  CHECK_FALSE(rlock.acquire(true, 1.5));
  CHECK(hub.now() == Approx(1.5));
  CHECK(rlock.acquire());
  CHECK(hub.now() == 5);
  rlock.release();
  holder->join();
}

TEST_CASE("RLock held by a dead greenlet is not owned by its successor", "[rlock]") {
  green::Hub hub(virtual_clock());
  green::RLock rlock;
  auto holder = green::spawn([&] { rlock.acquire(); });
  holder->join();
  holder.reset();
  auto next = green::spawn([&] {
    CHECK_FALSE(rlock.is_owned());
    return rlock.acquire(false);
  });
  CHECK_FALSE(next->get());
  CHECK(rlock.locked());
}
