// green::Pool: the bound is never exceeded (counted), spawn blocks while full,
// slots survive spawners killed while waiting, map keeps input order, imap and
// imap_unordered are deterministic and bounded (workers block when the buffer is full).
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/pool.hpp"

namespace {

green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}

// Counts how many bodies run at once.
struct Concurrency {
  int now = 0;
  int most = 0;
  void enter() { most = std::max(most, ++now); }
  void leave() { --now; }
};

std::vector<int> range(int n) {
  std::vector<int> values;
  for (int i = 0; i < n; ++i) values.push_back(i);
  return values;
}

}  // namespace

TEST_CASE("Pool never runs more than its size at once", "[pool]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(3);
  CHECK(pool.capacity() == 3);
  Concurrency running;
  bool over = false;
  for (int i = 0; i < 20; ++i) {
    pool.spawn([&, i] {
      running.enter();
      over = over || pool.size() > 3;
      green::sleep(0.1 * ((i * 7) % 5));
      green::sleep(0);
      running.leave();
    });
    over = over || pool.size() > 3;
  }
  CHECK(pool.join());
  CHECK(running.most == 3);
  CHECK_FALSE(over);
  CHECK(pool.free_count() == 3);
}

TEST_CASE("Pool spawn blocks while the pool is full", "[pool]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(2);
  std::vector<double> spawned_at;
  for (int i = 0; i < 5; ++i) {
    pool.spawn([] { green::sleep(1); });
    spawned_at.push_back(hub.now());
  }
  CHECK(spawned_at == std::vector<double>{0, 0, 1, 1, 2});
  pool.join();
  CHECK(hub.now() == 3);
}

TEST_CASE("Pool full free_count and wait_available", "[pool]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(2);
  CHECK(pool.free_count() == 2);
  CHECK_FALSE(pool.full());
  pool.spawn([] { green::sleep(1); });
  CHECK(pool.free_count() == 1);
  pool.spawn([] { green::sleep(2); });
  CHECK(pool.full());
  CHECK(pool.size() == 2);
  CHECK(pool.wait_available(0.5) == 0);
  CHECK(hub.now() == Approx(0.5));
  CHECK(pool.wait_available() == 1);
  CHECK(hub.now() == 1);
  CHECK_FALSE(pool.full());
  pool.join();
  CHECK(pool.free_count() == 2);
}

TEST_CASE("Pool add without blocking or past a timeout throws Full", "[pool][timeout]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(1);
  auto busy = pool.spawn([] { green::sleep(5); });
  auto extra = green::make_greenlet([] {});
  CHECK_THROWS_AS(pool.add(extra, false), green::Full);
  CHECK_THROWS_AS(pool.add(extra, true, 1.5), green::Full);
  CHECK(hub.now() == Approx(1.5));
  CHECK_FALSE(pool.contains(*extra));
  pool.add(busy);  // already a member: takes no slot, does not block
  CHECK(pool.size() == 1);
  pool.join();
  CHECK(pool.free_count() == 1);
}

TEST_CASE("Pool spawner killed while waiting for a slot loses nothing", "[pool][kill]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(1);
  pool.spawn([] { green::sleep(2); });
  bool ran = false;
  auto spawner = green::spawn([&] { pool.spawn([&] { ran = true; }); });
  green::sleep(1);
  spawner->kill();
  CHECK(spawner->killed());
  CHECK(pool.join());
  CHECK_FALSE(ran);
  CHECK(pool.free_count() == 1);
  CHECK(hub.now() == 2);
}

TEST_CASE("Pool slot handed to a spawner killed before it ran goes to the next one",
          "[pool][kill]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(1);
  auto first = pool.spawn([] { green::sleep(10); });
  std::vector<std::string> ran;
  auto x = green::spawn([&] { pool.spawn([&] { ran.push_back("x"); }); });
  auto y = green::spawn([&] { pool.spawn([&] { ran.push_back("y"); }); });
  green::sleep(0);
  pool.discard(*first);  // frees the slot: handed to x, which has not run yet
  x->kill();             // x unwinds from its spawn: the slot must go to y
  y->join();
  CHECK(pool.join());
  CHECK(ran == std::vector<std::string>{"y"});
  CHECK(pool.free_count() == 1);
  first->kill();
}

TEST_CASE("Pool map keeps input order and respects the bound", "[pool][map]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(2);
  Concurrency running;
  auto results = pool.map(
      [&](int n) {
        running.enter();
        green::sleep(1);
        running.leave();
        return n * n;
      },
      range(5));
  CHECK(results == std::vector<int>{0, 1, 4, 9, 16});
  CHECK(running.most == 2);
  CHECK(hub.now() == 3);
}

TEST_CASE("Pool imap_unordered gives the same order on every run", "[pool][map]") {
  // The seeds' determinism demo: four runs of imap_unordered over the same input.
  auto run = [] {
    green::Hub hub(virtual_clock());
    green::Pool pool(10);
    std::vector<int> order;
    auto echo = [](int i) {
      green::sleep(0.001 * ((i * 37) % 11));
      for (int k = 0; k < i % 3; ++k) green::sleep(0);
      return i;
    };
    for (int r : pool.imap_unordered(echo, range(30))) order.push_back(r);
    return order;
  };
  std::vector<int> run1 = run();
  std::vector<int> run2 = run();
  std::vector<int> run3 = run();
  std::vector<int> run4 = run();
  CHECK(run1 != range(30));  // completion order, not input order
  std::vector<int> sorted = run1;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == range(30));
  CHECK(run1 == run2);
  CHECK(run1 == run3);
  CHECK(run1 == run4);
}

TEST_CASE("Pool imap_unordered buffers at most maxsize results then workers block", "[pool][map]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(4);
  Concurrency running;
  int calls = 0;
  auto results = pool.imap_unordered(
      [&](int n) {
        running.enter();
        ++calls;
        green::sleep(0);
        running.leave();
        return n;
      },
      range(20), 2);
  green::sleep(10);  // the reader is busy
  // Two results fill the buffer; four more workers finished and wait, holding every
  // slot, so the feeder waits too.
  CHECK(calls == 6);
  CHECK(pool.full());
  CHECK(pool.size() == 4);
  std::vector<int> got;
  while (std::optional<int> r = results.next()) {
    got.push_back(*r);
    green::sleep(1);
  }
  std::sort(got.begin(), got.end());
  CHECK(got == range(20));
  CHECK(running.most <= 4);
  CHECK(pool.join(0));
}

TEST_CASE("Pool imap keeps input order within its window", "[pool][map]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(10);
  int calls = 0;
  auto results = pool.imap(
      [&](int n) {
        ++calls;
        green::sleep(0.1 * (10 - n));
        return n;
      },
      range(10), 3);
  green::sleep(5);
  CHECK(calls == 3);  // at most 3 spawned and not yet read
  std::vector<int> got;
  for (int r : results) got.push_back(r);
  CHECK(got == range(10));
  CHECK(calls == 10);
}

TEST_CASE("Pool imap_unordered rethrows a worker failure and continues", "[pool][map]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(2);
  auto results = pool.imap_unordered(
      [](int n) {
        green::sleep(n);
        if (n == 1) throw std::runtime_error("one failed");
        return n;
      },
      range(4));
  std::vector<std::string> log;
  for (;;) {
    try {
      std::optional<int> r = results.next();
      if (!r) break;
      log.push_back(std::to_string(*r));
    } catch (const std::runtime_error& e) {
      log.push_back(e.what());
    }
  }
  CHECK(log == std::vector<std::string>{"0", "one failed", "2", "3"});
}

TEST_CASE("Pool imap next with a timeout throws TimeoutError", "[pool][map][timeout]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(1);
  auto results = pool.imap(
      [](int n) {
        green::sleep(5);
        return n;
      },
      range(1));
  CHECK_THROWS_AS(results.next(1), green::TimeoutError);
  CHECK(hub.now() == 1);
  CHECK(results.next(10) == std::optional<int>(0));
  CHECK(hub.now() == 5);
  CHECK_FALSE(results.next().has_value());
}

TEST_CASE("Pool imap_unordered abandoned early kills its workers", "[pool][map][kill]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(2);
  int finished = 0;
  {
    auto results = pool.imap_unordered(
        [&](int n) {
          green::sleep(1);
          ++finished;
          return n;
        },
        range(100), 1);
    CHECK(results.next().has_value());
  }
  CHECK(pool.join());
  CHECK(pool.free_count() == 2);
  CHECK(finished < 100);
  double stopped_at = hub.now();
  green::sleep(10);
  CHECK(pool.empty());
  CHECK(hub.now() == stopped_at + 10);
}

TEST_CASE("Pool destroyed right after an abandoned imap_unordered", "[pool][map][kill]") {
  green::Hub hub(virtual_clock());
  {
    green::Pool pool(1);
    auto results = pool.imap_unordered(
        [](int n) {
          green::sleep(1);
          return n;
        },
        range(10), 1);
    CHECK(results.next() == std::optional<int>(0));
    // results dies first, then pool: its feeder (waiting in pool.add) must be gone.
  }
  CHECK(hub.live_greenlets() == 0);
  green::sleep(5);
  CHECK(hub.live_greenlets() == 0);
}

TEST_CASE("IMap destroyed while a Timeout fires delivers it at the next switch",
          "[pool][map][timeout]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(1);
  bool timed_out = false;
  try {
    green::Timeout timeout(1);
    {
      auto results = pool.imap_unordered(
          [](int n) {
            try {
              green::sleep(100);
            } catch (const green::GreenletExit&) {
              green::sleep(5);  // slow cleanup: the destructor waits for it
              throw;
            }
            return n;
          },
          range(3));
      green::sleep(0.5);
    }
    CHECK(hub.now() == 1);  // the destructor returned when the Timeout fired
    green::sleep(10);       // ... which is delivered here, not from the destructor
  } catch (const green::TimeoutError&) {
    timed_out = true;
  }
  CHECK(timed_out);
  CHECK(hub.now() == 1);
  CHECK(pool.join());
  CHECK(hub.now() == 5.5);
}

TEST_CASE("Pool imap over a killed worker skips its result", "[pool][map][kill]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(3);
  auto results = pool.imap(
      [](int n) {
        green::sleep(n + 1);
        return n;
      },
      range(3));
  green::sleep(0.5);
  auto members = pool.greenlets();
  REQUIRE(members.size() == 3);
  members[1]->kill();
  std::vector<int> got;
  for (int r : results) got.push_back(r);
  CHECK(got == std::vector<int>{0, 2});
}

TEST_CASE("Pool kill frees every slot", "[pool][kill]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(3);
  for (int i = 0; i < 3; ++i) pool.spawn([] { green::sleep(100); });
  CHECK(pool.full());
  pool.kill();
  CHECK(pool.empty());
  CHECK(pool.free_count() == 3);
  CHECK(hub.now() == 0);
}

TEST_CASE("Pool of size zero is a usage error", "[pool]") {
  green::Hub hub(virtual_clock());
  CHECK_THROWS_AS(green::Pool(0), green::UsageError);
}

TEST_CASE("Pool refuses work when full as in the seeds", "[pool]") {
  green::Hub hub(virtual_clock());
  green::Pool pool(2);
  std::vector<std::string> log;
  auto accept = [&](std::string connection) {
    if (pool.full()) {
      log.push_back("refused " + connection);
      return;
    }
    pool.spawn([&log, connection] {
      green::sleep(1);
      log.push_back("served " + connection);
    });
  };
  accept("a");
  accept("b");
  accept("c");
  green::sleep(1.5);
  accept("d");
  pool.join();
  CHECK(log == std::vector<std::string>{"refused c", "served a", "served b", "served d"});
}
