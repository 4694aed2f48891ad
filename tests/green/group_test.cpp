// green::Group: membership that follows greenlet death, join with timeout and
// raise_error, kill (blocking or not, from outside or from a member), spawn with a
// typed result, and the mapping helpers map/imap/imap_unordered without a bound.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/group.hpp"

namespace {
green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("Group joins added greenlets as in the seeds", "[group]") {
  green::Hub hub(virtual_clock());
  std::vector<std::string> log;
  auto talk = [&](std::string msg) {
    for (int i = 0; i < 3; ++i) {
      log.push_back(msg);
      green::sleep(0);
    }
  };
  auto g1 = green::spawn(talk, std::string("bar"));
  auto g2 = green::spawn(talk, std::string("foo"));
  auto g3 = green::spawn(talk, std::string("fizz"));
  green::Group group;
  group.add(g1);
  group.add(g2);
  CHECK(group.size() == 2);
  CHECK(group.contains(*g1));
  CHECK_FALSE(group.contains(*g3));
  CHECK(group.join());
  group.add(g3);
  CHECK(group.join());
  CHECK(group.empty());
  CHECK(log ==
        std::vector<std::string>{"bar", "foo", "fizz", "bar", "foo", "fizz", "bar", "foo", "fizz"});
}

TEST_CASE("Group discards members when they die", "[group]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto quick = group.spawn([] { green::sleep(1); });
  auto slow = group.spawn([] { green::sleep(2); });
  auto failing = group.spawn([]() -> int { throw std::runtime_error("x"); });
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  CHECK(group.size() == 3);
  CHECK(group.greenlets() == green::greenlets(quick, slow, failing));
  green::sleep(0.5);
  CHECK(group.size() == 2);  // the failing one left
  green::sleep(1);
  CHECK(group.size() == 1);
  CHECK(group.contains(*slow));
  CHECK(group.join());
  CHECK(hub.now() == 2);
}

TEST_CASE("Group lets go of a member when it leaves, also when its place is reused", "[group]") {
  // Members leave through a recycled place: each must still drop its reference, and
  // a later member in the same place must be a member in its own right.
  green::Hub hub;
  green::Group group;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::weak_ptr<green::Greenlet>> watched;
    green::Event go;
    for (int i = 0; i < 300; ++i) {  // more than the group keeps spare places for
      auto member = group.spawn([&go] { go.wait(); });
      watched.push_back(member);
    }
    CHECK(group.size() == 300);
    go.set();
    group.join();
    CHECK(group.size() == 0);
    green::sleep(0);  // the hub lets go of finished greenlets after their turn
    for (const auto& weak : watched) CHECK(weak.expired());
  }
}

TEST_CASE("Group spawn returns the typed greenlet", "[group]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto sum = group.spawn([](int a, int b) { return a + b; }, 2, 3);
  auto text = group.spawn([](std::string s) { return s + "!"; }, std::string("hi"));
  CHECK(sum->get() == 5);
  CHECK(text->get() == "hi!");
  group.join();
}

TEST_CASE("Group add of a dead or duplicate greenlet", "[group]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto done = green::spawn([] {});
  done->join();
  group.add(done);
  group.add(done);
  CHECK(group.size() == 1);
  CHECK(group.join(0.1));  // its link still runs and discards it
  CHECK(group.empty());
}

TEST_CASE("Group discard keeps the greenlet running", "[group]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  bool finished = false;
  auto g = group.spawn([&] {
    green::sleep(3);
    finished = true;
  });
  group.discard(*g);
  CHECK(group.empty());
  CHECK(group.join());
  CHECK(hub.now() == 0);
  g->join();
  CHECK(finished);
}

TEST_CASE("Group join with a timeout returns false at the deadline", "[group][timeout]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  group.spawn([] { green::sleep(5); });
  CHECK_FALSE(group.join(2));
  CHECK(hub.now() == 2);
  CHECK(group.size() == 1);
  CHECK(group.join(0) == false);
  CHECK(group.join(10));
  CHECK(hub.now() == 5);
}

TEST_CASE("Group join waits for members added while it waits", "[group]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  group.spawn([&] {
    green::sleep(1);
    group.spawn([] { green::sleep(2); });
  });
  CHECK(group.join());
  CHECK(hub.now() == 3);
}

TEST_CASE("Group join with raise_error rethrows the first failure", "[group]") {
  green::Hub hub(virtual_clock());
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  green::Group group;
  group.spawn([] { green::sleep(1); });
  group.spawn([] {
    green::sleep(2);
    throw std::runtime_error("second");
  });
  group.spawn([] {
    green::sleep(3);
    throw std::logic_error("third");
  });
  CHECK_THROWS_WITH(group.join({}, true), "second");
  CHECK(group.empty());
  CHECK(hub.now() == 3);
}

TEST_CASE("Group kill stops every member", "[group][kill]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  int unwound = 0;
  for (int i = 0; i < 3; ++i) {
    group.spawn([&] {
      try {
        green::sleep(100);
      } catch (const green::GreenletExit&) {
        ++unwound;
        throw;
      }
    });
  }
  auto members = group.greenlets();
  green::sleep(1);
  group.kill();
  CHECK(group.empty());
  CHECK(unwound == 3);
  for (const auto& g : members) CHECK(g->killed());
  CHECK(hub.now() == 1);
}

TEST_CASE("Group kill without blocking then join", "[group][kill]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto a = group.spawn([] { green::sleep(100); });
  auto b = group.spawn([] { green::sleep(100); });
  green::sleep(0);
  group.kill(false);
  CHECK(group.size() == 2);  // they die at their next turn
  CHECK(group.join());
  CHECK(a->killed());
  CHECK(b->killed());
}

TEST_CASE("Group kill with a custom exception", "[group][kill]") {
  green::Hub hub(virtual_clock());
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  green::Group group;
  auto a = group.spawn([] { green::sleep(100); });
  green::sleep(0);
  group.kill(true, {}, std::make_exception_ptr(std::runtime_error("stop")));
  CHECK(a->dead());
  CHECK_THROWS_WITH(a->get(), "stop");
}

TEST_CASE("Group kill gives up waiting at the timeout", "[group][kill][timeout]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto stubborn = group.spawn([] {
    try {
      green::sleep(100);
    } catch (const green::GreenletExit&) {
      green::sleep(10);  // takes its time to clean up
    }
  });
  green::sleep(0);
  group.kill(true, 2);
  CHECK(hub.now() == 2);
  CHECK(group.size() == 1);
  CHECK(group.join());
  CHECK(hub.now() == 10);
  CHECK(stubborn->successful());  // it swallowed GreenletExit and returned
}

TEST_CASE("Group kill called by a member kills the others then itself", "[group][kill]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  bool after_kill = false;
  auto other = group.spawn([] { green::sleep(100); });
  auto boss = group.spawn([&] {
    green::sleep(1);
    group.kill();
    after_kill = true;
  });
  CHECK(group.join());
  CHECK_FALSE(after_kill);
  CHECK(boss->killed());
  CHECK(other->killed());
  CHECK(hub.now() == 1);
}

TEST_CASE("Group killone kills only that member", "[group][kill]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto a = group.spawn([] { green::sleep(5); });
  auto b = group.spawn([] { green::sleep(5); });
  green::sleep(0);
  group.killone(*a);
  CHECK(a->killed());
  CHECK_FALSE(b->dead());
  green::sleep(0);
  CHECK(group.size() == 1);
  group.join();
  CHECK(b->successful());
  CHECK_FALSE(b->killed());
}

TEST_CASE("Group destroyed before its members die leaves them running", "[group]") {
  green::Hub hub(virtual_clock());
  std::vector<green::Greenlet::Ptr> members;
  {
    green::Group group;
    members.push_back(group.spawn([] { green::sleep(1); }));
    members.push_back(group.spawn([] { green::sleep(2); }));
  }
  green::joinall(members);
  CHECK(hub.now() == 2);
  for (const auto& g : members) CHECK(g->successful());
}

TEST_CASE("a greenlet in two groups leaves each, in link order with its own links", "[group]") {
  green::Hub hub(virtual_clock());
  green::Group first;
  green::Pool second(1);
  std::vector<std::string> log;
  auto g = green::make_greenlet([] { green::sleep(1); });
  g->link([&](green::Greenlet&) {
    log.push_back(std::string("link: first ") + (first.contains(*g) ? "has" : "lost") +
                  ", second " + (second.contains(*g) ? "has" : "lost"));
  });
  first.add(g);
  second.add(g);
  first.add(g);  // again: nothing changes
  CHECK(first.size() == 1);
  CHECK(second.free_count() == 0);
  g->start();
  second.discard(*g);  // leaves one group only
  CHECK(second.free_count() == 1);
  CHECK(first.contains(*g));
  CHECK_FALSE(second.contains(*g));
  second.add(g);  // back in, now linked after the first group
  g->join();
  green::sleep(0);
  CHECK(log == std::vector<std::string>{"link: first has, second has"});
  CHECK(first.empty());
  CHECK(second.empty());
  CHECK(second.free_count() == 1);
}

TEST_CASE("Group map returns results in input order", "[group][map]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  std::vector<int> inputs{3, 1, 2};
  std::vector<int> started;
  auto results = group.map(
      [&](int n) {
        started.push_back(n);
        green::sleep(n);
        return n * 10;
      },
      inputs);
  CHECK(results == std::vector<int>{30, 10, 20});
  CHECK(started == std::vector<int>{3, 1, 2});
  CHECK(hub.now() == 3);  // all at once: a Group has no bound
  CHECK(group.empty());
}

TEST_CASE("Group map rethrows the first failure in input order after all finish", "[group][map]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  int finished = 0;
  auto run = [&] {
    return group.map(
        [&](int n) {
          green::sleep(n);
          ++finished;
          if (n == 2) throw std::runtime_error("two");
          if (n == 1) throw std::runtime_error("one");
          return n;
        },
        std::vector<int>{3, 2, 4, 1});
  };
  CHECK_THROWS_WITH(run(), "two");
  CHECK(finished == 4);
  CHECK(hub.now() == 4);
}

TEST_CASE("Group imap yields in input order, imap_unordered in completion order", "[group][map]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  auto intensive = [](int n) {
    green::sleep(3 - n);
    return "task " + std::to_string(n);
  };
  std::vector<std::string> ordered;
  for (std::string& r : group.imap(intensive, std::vector<int>{0, 1, 2})) ordered.push_back(r);
  CHECK(ordered == std::vector<std::string>{"task 0", "task 1", "task 2"});
  CHECK(hub.now() == 3);
  std::vector<std::string> unordered;
  for (std::string& r : group.imap_unordered(intensive, std::vector<int>{0, 1, 2})) {
    unordered.push_back(r);
  }
  CHECK(unordered == std::vector<std::string>{"task 2", "task 1", "task 0"});
  CHECK(hub.now() == 6);
  CHECK(group.empty());
}

TEST_CASE("Group map over an empty range", "[group][map]") {
  green::Hub hub(virtual_clock());
  green::Group group;
  CHECK(group.map([](int n) { return n; }, std::vector<int>{}).empty());
  auto it = group.imap_unordered([](int n) { return n; }, std::vector<int>{});
  CHECK_FALSE(it.next().has_value());
  CHECK_FALSE(it.next().has_value());
}
