// The seeds' ways of making greenlets: spawn with arguments and lambdas, a Greenlet
// subclass overriding run() (gevent's _run), sleeping tasks joined one by one, and
// what happens to greenlets nobody joins when the main program ends.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

TEST_CASE("spawn runs functions with arguments and lambdas", "[seeds][greenlet]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto foo = [&](const std::string& message, double n) {
    green::sleep(n);
    print(message, "at", hub.now());
  };
  auto thread1 = green::spawn(foo, std::string("Hello"), 1.0);
  auto thread2 = green::spawn(foo, std::string("I could"), 2.0);
  auto thread3 = green::spawn([](int x) { return x + 1; }, 2);
  green::joinall(green::greenlets(thread1, thread2, thread3));
  CHECK(print.lines == Lines{"Hello at 1", "I could at 2"});
  CHECK(thread3->value() == 3);  // g.value: the function's return value
  CHECK(thread3->get() == 3);
}

TEST_CASE("greenlets sleeping 3 s and 1 s overlap", "[seeds][greenlet]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto task1 = [&] {
    print("task1 run");
    green::sleep(3);
    print("task1 over");
  };
  auto task2 = [&] {
    print("task2 run");
    green::sleep(1);
    print("task2 over");
  };
  auto g1 = green::spawn(task1);
  auto g2 = green::spawn(task2);
  g1->join();
  g2->join();
  CHECK(print.lines == Lines{"task1 run", "task2 run", "task2 over", "task1 over"});
  CHECK(hub.now() == 3.0);
}

TEST_CASE("greenlets nobody joins end with the main program", "[seeds][greenlet]") {
  // The seed: without join() nothing is printed, because the main thread ends first
  // and its greenlets end with it. Here the hub's end kills them (GreenletExit).
  Printed print;
  bool unwound = false;
  {
    green::Hub hub(green::Hub::Options{.virtual_clock = true});
    green::spawn([&] {
      struct Unwind {
        bool& flag;
        ~Unwind() { flag = true; }
      } unwind{unwound};
      print("task1 run");
      green::sleep(3);
      print("task1 over");
    });
  }
  CHECK(print.lines.empty());
  CHECK_FALSE(unwound);  // never ran: killed before its first switch

  // One that did run is unwound from its sleep: its destructors run, its last line
  // is never printed.
  {
    green::Hub hub(green::Hub::Options{.virtual_clock = true});
    green::spawn([&] {
      struct Unwind {
        bool& flag;
        ~Unwind() { flag = true; }
      } unwind{unwound};
      print("task1 run");
      green::sleep(3);
      print("task1 over");
    });
    green::sleep(0);
  }
  CHECK(print.lines == Lines{"task1 run"});
  CHECK(unwound);
}

namespace {

// The seed's Test(Greenlet): prints, sleeps n seconds, prints again.
class Test : public green::Greenlet {
 public:
  Test(Printed& print, std::string message, double n)
      : print_(print), message_(std::move(message)), n_(n) {}

 protected:
  void run() override {
    print_(message_, "start");
    green::sleep(n_);
    print_(message_, "end");
  }

 private:
  Printed& print_;
  std::string message_;
  double n_;
};

// The seed's MyGreenlet: prints its message, then sleeps n seconds.
class MyGreenlet : public green::Greenlet {
 public:
  MyGreenlet(Printed& print, std::string message, double n)
      : print_(print), message_(std::move(message)), n_(n) {}

 protected:
  void run() override {
    print_(message_);
    green::sleep(n_);
  }

 private:
  Printed& print_;
  std::string message_;
  double n_;
};

}  // namespace

TEST_CASE("a Greenlet subclass overriding run() starts and joins", "[seeds][greenlet]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  std::vector<std::shared_ptr<Test>> tests = {std::make_shared<Test>(print, "hello", 3),
                                              std::make_shared<Test>(print, "world", 2)};
  for (auto& test : tests) CHECK_FALSE(test->started());
  CHECK(print.lines.empty());  // made, not started: nothing runs yet
  for (auto& test : tests) test->start();
  for (auto& test : tests) test->join();
  CHECK(print.lines == Lines{"hello start", "world start", "world end", "hello end"});
  CHECK(hub.now() == 3.0);
  for (auto& test : tests) CHECK(test->successful());
}

TEST_CASE("MyGreenlet prints its message and sleeps", "[seeds][greenlet]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  Printed print;
  auto g = std::make_shared<MyGreenlet>(print, "Hi there!", 3);
  g->start();
  g->join();
  CHECK(print.lines == Lines{"Hi there!"});
  CHECK(hub.now() == 3.0);
  CHECK(g->ready());
}
