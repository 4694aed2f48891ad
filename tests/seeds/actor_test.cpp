// The seed's actor model: an Actor is a Greenlet subclass with an inbox Queue whose
// run() loop hands each message to receive(); a Pinger and a Ponger bounce "ping"
// and "pong" between their inboxes after the Pinger gets "start".
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "green/event.hpp"
#include "green/green.hpp"
#include "green/queue.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

namespace {

class Actor : public green::Greenlet {
 public:
  green::Queue<std::string> inbox;

 protected:
  // Define in your subclass.
  virtual void receive(const std::string& message) = 0;

  void run() override {
    running = true;
    while (running) {
      std::string message = inbox.get();
      receive(message);
    }
  }

  bool running = false;
};

// Collects what the actors print; sets `enough` after `limit` lines, since the
// seed's ping-pong never ends by itself.
struct Stage {
  Printed print;
  green::Event enough;
  std::size_t limit = 10;
  void say(const std::string& message) {
    print(message);
    if (print.lines.size() == limit) enough.set();
  }
};

class Pinger : public Actor {
 public:
  explicit Pinger(Stage& stage) : stage_(stage) {}
  std::shared_ptr<Actor> pong;

 protected:
  void receive(const std::string& message) override {
    stage_.say(message);
    pong->inbox.put("ping");
    green::sleep(0);
  }

 private:
  Stage& stage_;
};

class Ponger : public Actor {
 public:
  explicit Ponger(Stage& stage) : stage_(stage) {}
  std::shared_ptr<Actor> ping;

 protected:
  void receive(const std::string& message) override {
    stage_.say(message);
    ping->inbox.put("pong");
    green::sleep(0);
  }

 private:
  Stage& stage_;
};

}  // namespace

TEST_CASE("Pinger and Ponger actors bounce messages through their inboxes", "[seeds][actor]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Stage stage;
  auto ping = std::make_shared<Pinger>(stage);
  auto pong = std::make_shared<Ponger>(stage);
  ping->pong = pong;
  pong->ping = ping;

  ping->start();
  pong->start();

  ping->inbox.put("start");
  stage.enough.wait();  // the seed: gevent.joinall([ping, pong]), forever
  green::killall(green::greenlets(ping, pong));

  // The seed prints start, then ping and pong alternately, forever. (The Pinger's
  // turn may come once more before the killer's, so there can be a line past 10.)
  Lines& lines = stage.print.lines;
  REQUIRE(lines.size() >= 10);
  CHECK(Lines(lines.begin(), lines.begin() + 10) ==
        Lines{"start", "ping", "pong", "ping", "pong", "ping", "pong", "ping", "pong", "ping"});
  for (std::size_t i = 1; i < lines.size(); ++i) CHECK(lines[i] == (i % 2 ? "ping" : "pong"));
  CHECK(ping->dead());
  CHECK(pong->dead());
  CHECK(ping->successful());  // killed: GreenletExit counts as success
  ping->pong.reset();         // break the reference cycle
  pong->ping.reset();
}

namespace {

// An actor that stops its own loop: the seed's `self.running` flag.
class Counter : public Actor {
 public:
  int total = 0;

 protected:
  void receive(const std::string& message) override {
    if (message == "stop") {
      running = false;
      return;
    }
    total += std::stoi(message);
  }
};

}  // namespace

TEST_CASE("an actor ends when receive() clears running", "[seeds][actor]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  auto counter = std::make_shared<Counter>();
  counter->start();
  for (const char* message : {"1", "2", "3", "stop"}) counter->inbox.put(message);
  counter->join();
  CHECK(counter->successful());
  CHECK(counter->total == 6);
}
