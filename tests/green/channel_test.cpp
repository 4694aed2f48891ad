// green::Channel: a rendezvous. put blocks until a getter takes the item and get until
// a putter offers one; FIFO on both sides; Full/Empty on nowait and timeout; items
// of getters that unwind after being served are not lost.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/queue.hpp"

namespace {
green::Hub::Options virtual_clock() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("Channel put blocks until a getter takes the item", "[channel]") {
  green::Hub hub(virtual_clock());
  green::Channel<std::string> channel;
  std::vector<std::string> log;
  auto putter = green::spawn([&] {
    channel.put("hello");
    log.push_back("put returned at " + std::to_string(static_cast<int>(hub.now())));
  });
  green::sleep(2);
  CHECK(channel.balance() == 1);
  log.push_back("got " + channel.get());
  putter->join();
  CHECK(log == std::vector<std::string>{"got hello", "put returned at 2"});
  CHECK(channel.balance() == 0);
}

TEST_CASE("Channel get blocks until a putter offers an item", "[channel]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  auto getter = green::spawn([&] { return channel.get(); });
  green::sleep(3);
  CHECK(channel.balance() == -1);
  channel.put(5);  // a getter waits: returns at once
  CHECK(hub.now() == 3);
  CHECK(getter->get() == 5);
}

TEST_CASE("Channel nowait calls need a waiting partner", "[channel]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  CHECK_THROWS_AS(channel.put_nowait(1), green::Full);
  CHECK_THROWS_AS(channel.get_nowait(), green::Empty);
  auto getter = green::spawn([&] { return channel.get(); });
  green::sleep(0);
  channel.put_nowait(2);
  CHECK(getter->get() == 2);
  auto putter = green::spawn([&] { channel.put(3); });
  green::sleep(0);
  CHECK(channel.get_nowait() == 3);
  putter->join();
  CHECK(hub.now() == 0);
}

TEST_CASE("Channel put and get with a timeout raise at the deadline", "[channel][timeout]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  CHECK_THROWS_AS(channel.put(1, true, 0.5), green::Full);
  CHECK(hub.now() == Approx(0.5));
  CHECK_THROWS_AS(channel.get(true, 0.5), green::Empty);
  CHECK(hub.now() == Approx(1.0));
  CHECK(channel.balance() == 0);
}

TEST_CASE("Channel serves putters and getters in FIFO order", "[channel]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  std::vector<std::string> log;
  for (int i = 0; i < 3; ++i) {
    green::spawn([&, i] {
      channel.put(i);
      log.push_back("put " + std::to_string(i) + " done");
    });
  }
  green::sleep(1);
  std::vector<int> got;
  for (int i = 0; i < 3; ++i) got.push_back(channel.get());
  CHECK(got == std::vector<int>{0, 1, 2});
  green::sleep(0);
  CHECK(log == std::vector<std::string>{"put 0 done", "put 1 done", "put 2 done"});

  std::vector<std::string> getters;
  std::vector<green::Greenlet::Ptr> waiting;
  for (std::string name : {"a", "b", "c"}) {
    waiting.push_back(
        green::spawn([&, name] { getters.push_back(name + std::to_string(channel.get())); }));
  }
  green::sleep(1);
  for (int i = 0; i < 3; ++i) channel.put(i);
  green::joinall(waiting);
  CHECK(getters == std::vector<std::string>{"a0", "b1", "c2"});
}

TEST_CASE("Channel item of a killed served getter goes to the next getter", "[channel][kill]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  auto a = green::spawn([&] { return channel.get(); });
  auto b = green::spawn([&] { return channel.get(); });
  green::sleep(0);
  channel.put(1);  // taken by a, which has not run yet
  a->kill();       // a unwinds: 1 is offered to b
  CHECK(b->get() == 1);
}

TEST_CASE("Channel item of a killed served getter is kept for the next get", "[channel][kill]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  auto a = green::spawn([&] { return channel.get(); });
  green::sleep(0);
  channel.put(1);
  a->kill();
  CHECK(channel.get_nowait() == 1);
  CHECK_THROWS_AS(channel.get_nowait(), green::Empty);
}

TEST_CASE("Channel putter killed while waiting withdraws its item", "[channel][kill]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  auto a = green::spawn([&] { channel.put(1); });
  auto b = green::spawn([&] { channel.put(2); });
  green::sleep(1);
  a->kill();
  CHECK(channel.balance() == 1);
  CHECK(channel.get() == 2);
  b->join();
}

TEST_CASE("Channel putter whose own timeout fired is skipped by get", "[channel][timeout]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  bool full_raised = false;
  auto a = green::spawn([&] {
    try {
      channel.put(1, true, 1);
    } catch (const green::Full&) {
      full_raised = true;
    }
  });
  green::sleep(1);
  CHECK_THROWS_AS(channel.get_nowait(), green::Empty);
  a->join();
  CHECK(full_raised);
}

TEST_CASE("Channel carries move-only items", "[channel]") {
  green::Hub hub(virtual_clock());
  green::Channel<std::unique_ptr<std::string>> channel;
  auto producer = green::spawn([&] {
    channel.put(std::make_unique<std::string>("one"));
    channel.put(std::make_unique<std::string>("two"));
  });
  CHECK(*channel.get() == "one");
  CHECK(*channel.get() == "two");
  producer->join();
}

TEST_CASE("Channel get that nothing can satisfy raises LoopExit in main", "[channel]") {
  green::Hub hub(virtual_clock());
  green::Channel<int> channel;
  CHECK_THROWS_AS(channel.get(), green::LoopExit);
  CHECK(channel.balance() == 0);
}
