// Greenlet lifecycle: states, values, stored exceptions and their single report,
// links, join/get with timeouts, kill semantics, joinall/killall, subclasses.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "green/green.hpp"

namespace {
green::Hub::Options virtual_time() {
  return green::Hub::Options{.virtual_clock = true};
}
}  // namespace

TEST_CASE("states before, during and after a run", "[greenlet]") {
  green::Hub hub(virtual_time());
  auto g = green::make_greenlet([] {
    green::sleep(1);
    return std::string("done");
  });
  CHECK_FALSE(g->started());
  CHECK_FALSE(g->ready());
  g->start();
  CHECK(g->started());
  CHECK(static_cast<bool>(*g));
  green::sleep(0);
  CHECK(g->running());
  CHECK_FALSE(g->ready());
  CHECK(g->get() == "done");
  CHECK(g->ready());
  CHECK(g->dead());
  CHECK(g->successful());
  CHECK(g->value() == std::optional<std::string>("done"));
  CHECK_FALSE(static_cast<bool>(*g));
  CHECK(hub.now() == Approx(1));
}

TEST_CASE("an escaping exception is stored and reported once", "[greenlet]") {
  green::Hub hub;
  std::vector<std::string> reports;
  hub.set_error_handler([&](green::Greenlet&, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      reports.push_back(e.what());
    }
  });
  auto loser = green::spawn([]() -> int { throw std::runtime_error("You fail."); });
  auto winner = green::spawn([] { return 7; });
  green::joinall({loser, winner});
  green::sleep(0);  // reports run on the hub after death
  green::sleep(0);
  CHECK(reports == std::vector<std::string>{"You fail."});
  CHECK_FALSE(loser->successful());
  REQUIRE(loser->exception());
  CHECK_THROWS_WITH(loser->get(), "You fail.");
  CHECK(winner->get() == 7);
  // get() again rethrows, but the hub never reports twice.
  CHECK_THROWS_AS(loser->get(), std::runtime_error);
  green::sleep(0);
  CHECK(reports.size() == 1);
}

TEST_CASE("links fire in order, also when added after death", "[greenlet]") {
  green::Hub hub;
  std::vector<std::string> log;
  auto ok = green::spawn([] {});
  auto bad = green::spawn([] { throw std::logic_error("x"); });
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  ok->link([&](green::Greenlet&) { log.push_back("ok:any"); });
  ok->link_value([&](green::Greenlet&) { log.push_back("ok:value"); });
  ok->link_exception([&](green::Greenlet&) { log.push_back("ok:exception"); });
  auto removed = ok->link([&](green::Greenlet&) { log.push_back("ok:removed"); });
  ok->unlink(removed);
  bad->link_exception([&](green::Greenlet&) { log.push_back("bad:exception"); });
  green::joinall({ok, bad});
  green::sleep(0);
  ok->link([&](green::Greenlet&) { log.push_back("ok:late"); });
  green::sleep(0);
  CHECK(log == std::vector<std::string>{"ok:any", "ok:value", "bad:exception", "ok:late"});
}

TEST_CASE("a link removed by an earlier link does not fire", "[greenlet]") {
  // gevent pops its links one by one: an unlink during the notification counts.
  green::Hub hub;
  std::vector<std::string> log;
  auto g = green::spawn([] {});
  green::Greenlet::LinkId second = 0;
  g->link([&](green::Greenlet& dead) {
    log.push_back("first");
    dead.unlink(second);
  });
  second = g->link([&](green::Greenlet&) { log.push_back("second"); });
  g->link([&](green::Greenlet&) { log.push_back("third"); });
  g->join();
  green::sleep(0);
  CHECK(log == std::vector<std::string>{"first", "third"});
}

TEST_CASE("a link added by a link fires in a later notification, once", "[greenlet]") {
  green::Hub hub;
  std::vector<std::string> log;
  auto g = green::spawn([] {});
  g->link([&](green::Greenlet& dead) {
    log.push_back("outer");
    dead.link([&](green::Greenlet&) { log.push_back("inner"); });
  });
  g->link([&](green::Greenlet&) { log.push_back("after"); });
  g->join();
  green::sleep(0);
  green::sleep(0);
  CHECK(log == std::vector<std::string>{"outer", "after", "inner"});

  // A link that links itself again runs once per notification, not in a loop.
  int fired = 0;
  std::function<void(green::Greenlet&)> again = [&](green::Greenlet& dead) {
    if (++fired < 1000) dead.link(again);
  };
  g->link(again);
  green::sleep(0);
  CHECK(fired == 1);
  green::sleep(0);
  CHECK(fired == 2);
}

TEST_CASE("destroying a hub with a link notification queued frees the greenlet", "[greenlet]") {
  std::weak_ptr<green::Greenlet> watched;
  bool fired = false;
  {
    green::Hub hub;
    auto g = green::make_greenlet([] {});
    g->link([&](green::Greenlet&) { fired = true; });
    g->kill();  // never ran: dead now, its links queued on the hub
    watched = g;
  }
  CHECK_FALSE(fired);
  CHECK(watched.expired());  // leak checkers would also see the greenlet left over
}

TEST_CASE("join with a timeout returns without the greenlet finishing", "[greenlet]") {
  green::Hub hub(virtual_time());
  auto slow = green::spawn([] { green::sleep(10); });
  slow->join(0.5);
  CHECK_FALSE(slow->ready());
  CHECK(hub.now() == Approx(0.5));
  CHECK_THROWS_AS(slow->get(0.5), green::TimeoutError);
  slow->join();
  CHECK(slow->ready());
  CHECK(hub.now() == Approx(10));
}

TEST_CASE("kill runs the target's unwinding and can carry a custom exception", "[greenlet]") {
  green::Hub hub;
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  bool unwound = false;
  struct Flag {
    bool& flag;
    ~Flag() { flag = true; }
  };
  auto target = green::spawn([&] {
    Flag flag{unwound};
    green::sleep(100);
  });
  green::sleep(0);
  target->kill();
  CHECK(unwound);
  CHECK(target->dead());
  CHECK(target->killed());
  CHECK(target->successful());

  auto custom = green::spawn([] { green::sleep(100); });
  green::sleep(0);
  custom->kill(std::make_exception_ptr(std::runtime_error("stop")));
  CHECK(custom->dead());
  CHECK_FALSE(custom->successful());
  CHECK_THROWS_WITH(custom->get(), "stop");
}

TEST_CASE("kill with block=false returns at once and the target dies later", "[greenlet]") {
  green::Hub hub;
  auto target = green::spawn([] { green::sleep(100); });
  green::sleep(0);
  target->kill(false);
  CHECK_FALSE(target->dead());
  target->join();
  CHECK(target->dead());
}

TEST_CASE("a greenlet that catches GreenletExit may finish its work", "[greenlet]") {
  green::Hub hub(virtual_time());
  std::vector<std::string> log;
  auto stubborn = green::spawn([&] {
    try {
      green::sleep(100);
    } catch (const green::GreenletExit&) {
      log.push_back("cleaning up");
      green::sleep(1);  // may block while handling the kill
      log.push_back("cleaned");
      throw;
    }
  });
  green::sleep(0);
  stubborn->kill();
  CHECK(log == std::vector<std::string>{"cleaning up", "cleaned"});
  CHECK(stubborn->dead());
  CHECK(hub.now() == Approx(1));
}

TEST_CASE("spawn_later starts after the delay and can be killed before", "[greenlet]") {
  green::Hub hub(virtual_time());
  double started_at = -1;
  auto later = green::spawn_later(2.0, [&] { started_at = green::get_hub().now(); });
  bool ran = false;
  auto cancelled = green::spawn_later(1.0, [&] { ran = true; });
  cancelled->kill();
  later->join();
  CHECK(started_at == Approx(2.0));
  CHECK_FALSE(ran);
  CHECK(cancelled->dead());
}

TEST_CASE("joinall honours count, timeout and raise_error", "[greenlet]") {
  green::Hub hub(virtual_time());
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  auto a = green::spawn([] { green::sleep(3); });
  auto b = green::spawn([] { green::sleep(1); });
  auto c = green::spawn([] { green::sleep(2); });
  auto first_two = green::joinall({a, b, c}, {}, false, 2);
  REQUIRE(first_two.size() == 2);
  CHECK(first_two[0] == green::Greenlet::Ptr(b));
  CHECK(first_two[1] == green::Greenlet::Ptr(c));
  CHECK(hub.now() == Approx(2));

  auto d = green::spawn([] { green::sleep(10); });
  auto done = green::joinall({a, d}, 0.5);
  CHECK(done.empty());
  CHECK(hub.now() == Approx(2.5));

  auto failing = green::spawn([] {
    green::sleep(1);
    throw std::runtime_error("boom");
  });
  CHECK_THROWS_WITH(green::joinall({d, failing}, {}, true), "boom");
  CHECK(hub.now() == Approx(3.5));
  green::killall({a, d});
  CHECK(d->dead());
}

namespace {
class Noisy : public green::Greenlet {
 public:
  explicit Noisy(std::string message) : message_(std::move(message)) {}
  std::vector<std::string> printed;

 protected:
  void run() override {
    printed.push_back(message_);
    green::sleep(0);
    printed.push_back(message_ + " again");
  }

 private:
  std::string message_;
};
}  // namespace

TEST_CASE("a Greenlet subclass overrides run", "[greenlet]") {
  green::Hub hub;
  auto g = std::make_shared<Noisy>("Hi there!");
  g->start();
  g->join();
  CHECK(g->printed == std::vector<std::string>{"Hi there!", "Hi there! again"});
  CHECK(g->successful());
}

TEST_CASE("getcurrent names main, spawned greenlets and the hub", "[greenlet]") {
  green::Hub hub;
  CHECK(&green::getcurrent() == &hub.main_greenlet());
  green::Greenlet* inside = nullptr;
  auto g = green::spawn([&] { inside = &green::getcurrent(); });
  g->join();
  CHECK(inside == g.get());
  bool on_hub = false;
  hub.run_callback([&] { on_hub = hub.in_hub() && green::getcurrent().name() == "hub"; });
  green::sleep(0);
  CHECK(on_hub);
}

TEST_CASE("a blocking call from a hub callback is refused", "[greenlet]") {
  green::Hub hub;
  std::string error;
  hub.run_callback([&] {
    try {
      green::sleep(1);
    } catch (const green::UsageError& e) {
      error = e.what();
    }
  });
  green::sleep(0);
  CHECK(error.find("hub") != std::string::npos);
}

TEST_CASE("spawn takes move-only callables and arguments", "[greenlet]") {
  green::Hub hub;
  auto owned = std::make_unique<int>(41);
  auto plus_one = green::spawn([p = std::move(owned)] { return *p + 1; });
  auto first = green::spawn([](std::unique_ptr<int>& p) { return *p; }, std::make_unique<int>(7));
  CHECK(plus_one->get() == 42);
  CHECK(first->get() == 7);
  green::GreenletPtr<int> typed = plus_one;  // the public type, whatever holds the body
  CHECK(typed->value() == 42);
}
