// The seeds' queues: a boss filling an unbounded Queue with put_nowait before
// three workers drain it, and a boss feeding a Queue(maxsize=3) while the workers
// take tasks with get(timeout=1) until Empty ends them ("Quitting time!").
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "green/green.hpp"
#include "green/queue.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

TEST_CASE("the boss fills the queue, three workers drain it in turn", "[seeds][queue]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Queue<int> tasks;
  Printed print;
  auto worker = [&](const std::string& n) {
    while (!tasks.empty()) {
      int task = tasks.get();
      print("Worker " + n + " got task " + std::to_string(task));
      green::sleep(0);
    }
    print("Quitting time!");
  };
  auto boss = [&] {
    for (int i = 1; i < 25; ++i) tasks.put_nowait(i);
  };

  green::spawn(boss)->join();
  CHECK(tasks.qsize() == 24);
  green::joinall({green::spawn(worker, std::string("steve")),
                  green::spawn(worker, std::string("john")),
                  green::spawn(worker, std::string("nancy"))});

  Lines expected;
  const char* names[] = {"steve", "john", "nancy"};
  for (int task = 1; task < 25; ++task) {
    expected.push_back(std::string("Worker ") + names[(task - 1) % 3] + " got task " +
                       std::to_string(task));
  }
  for (int i = 0; i < 3; ++i) expected.push_back("Quitting time!");
  CHECK(print.lines == expected);
  CHECK(hub.now() == 0.0);  // sleep(0) only: no time passes
}

TEST_CASE("a bounded Queue(3) paces the boss, get(timeout=1) ends the workers", "[seeds][queue]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Queue<int> tasks(3);
  Printed print;
  std::size_t most_queued = 0;
  auto worker = [&](const std::string& n) {
    try {
      while (true) {
        int task = tasks.get(true, 1.0);  // get(timeout=1): decrements queue size by 1
        print("Worker " + n + " got task " + std::to_string(task));
        green::sleep(0);
      }
    } catch (const green::Empty&) {
      print("Quitting time!");
    }
  };
  auto boss = [&] {
    // Boss will wait to hand out work until an individual worker is free, since the
    // maxsize of the task queue is 3.
    for (int i = 1; i < 10; ++i) {
      tasks.put(i);
      most_queued = std::max(most_queued, tasks.qsize());
    }
    print("Assigned all work in iteration 1");
    for (int i = 10; i < 20; ++i) {
      tasks.put(i);
      most_queued = std::max(most_queued, tasks.qsize());
    }
    print("Assigned all work in iteration 2");
  };

  green::joinall({green::spawn(boss), green::spawn(worker, std::string("steve")),
                  green::spawn(worker, std::string("john")),
                  green::spawn(worker, std::string("bob"))});

  // gevent's tutorial prints exactly this.
  CHECK(print.lines == Lines{"Worker steve got task 1",
                             "Worker john got task 2",
                             "Worker bob got task 3",
                             "Worker steve got task 4",
                             "Worker john got task 5",
                             "Worker bob got task 6",
                             "Assigned all work in iteration 1",
                             "Worker steve got task 7",
                             "Worker john got task 8",
                             "Worker bob got task 9",
                             "Worker steve got task 10",
                             "Worker john got task 11",
                             "Worker bob got task 12",
                             "Worker steve got task 13",
                             "Worker john got task 14",
                             "Worker bob got task 15",
                             "Worker steve got task 16",
                             "Worker john got task 17",
                             "Worker bob got task 18",
                             "Assigned all work in iteration 2",
                             "Worker steve got task 19",
                             "Quitting time!",
                             "Quitting time!",
                             "Quitting time!"});
  CHECK(most_queued == 3);
  CHECK(hub.now() == 1.0);  // the workers quit one timeout after the last task
}

TEST_CASE("put_nowait and get_nowait raise Full and Empty", "[seeds][queue]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  green::Queue<int> tasks(1);
  CHECK_THROWS_AS(tasks.get_nowait(), green::Empty);
  tasks.put_nowait(1);
  CHECK_THROWS_AS(tasks.put_nowait(2), green::Full);
  CHECK_THROWS_AS(tasks.put(2, true, 0.5), green::Full);  // put(timeout=...) expires
  CHECK(hub.now() == 0.5);
  CHECK(tasks.get_nowait() == 1);
  CHECK_THROWS_AS(tasks.get(true, 0.5), green::Empty);
  CHECK(hub.now() == 1.0);
}
