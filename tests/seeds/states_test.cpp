// The seeds' greenlet states: a winner that returns "You win!" and a loser that
// throws. started / ready / successful / value / exception, the exception staying
// inside the greenlet (reported once by the hub), and get() raising it again.
#include <catch2/catch.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "printed.hpp"

using seeds::Lines;
using seeds::Printed;

namespace {

std::string message_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("winner and loser states after joinall", "[seeds][states]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  std::vector<std::string> reported;  // the seed's "stack trace printed to stdout"
  hub.set_error_handler([&](green::Greenlet& greenlet, std::exception_ptr error) {
    reported.push_back(greenlet.name() + ": " + message_of(error));
  });

  auto win = [] { return std::string("You win!"); };
  auto fail = []() -> std::string { throw std::runtime_error("You fail at failing."); };
  auto winner = green::spawn(win);
  auto loser = green::spawn(fail);
  winner->set_name("winner");
  loser->set_name("loser");

  CHECK(winner->started());  // True
  CHECK(loser->started());   // True
  CHECK_FALSE(winner->ready());
  CHECK_FALSE(loser->ready());

  // Exceptions raised in the greenlet stay inside the greenlet.
  Printed print;
  try {
    green::joinall(green::greenlets(winner, loser));
  } catch (...) {
    print("This will never be reached");
  }
  CHECK(print.lines.empty());

  CHECK(winner->value() == "You win!");
  CHECK_FALSE(loser->value().has_value());  // None

  CHECK(winner->ready());  // True
  CHECK(loser->ready());   // True

  CHECK(winner->successful());       // True
  CHECK_FALSE(loser->successful());  // False

  CHECK_FALSE(winner->exception());
  REQUIRE(loser->exception());
  CHECK(message_of(loser->exception()) == "You fail at failing.");

  // It is possible though to raise the exception again outside, with get().
  CHECK_THROWS_WITH(loser->get(), "You fail at failing.");
  CHECK(winner->get() == "You win!");

  // Reported once, on the hub, by the time the loop has run its callbacks.
  green::sleep(0);
  CHECK(reported == std::vector<std::string>{"loser: You fail at failing."});
}

TEST_CASE("joinall with raise_error rethrows the loser's exception", "[seeds][states]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  hub.set_error_handler([](green::Greenlet&, std::exception_ptr) {});
  auto winner = green::spawn([] { return std::string("You win!"); });
  auto loser =
      green::spawn([]() -> std::string { throw std::runtime_error("You fail at failing."); });
  CHECK_THROWS_WITH(green::joinall(green::greenlets(winner, loser), {}, true),
                    "You fail at failing.");
  CHECK(winner->successful());
}

TEST_CASE("a killed greenlet is ready and successful, with no value", "[seeds][states]") {
  green::Hub hub(green::Hub::Options{.virtual_clock = true});
  auto forever = green::spawn([] {
    green::sleep(1000);
    return 1;
  });
  green::sleep(0);
  CHECK(forever->started());
  CHECK_FALSE(forever->ready());
  forever->kill();
  CHECK(forever->ready());
  CHECK(forever->killed());
  CHECK(forever->successful());  // GreenletExit counts as success
  CHECK_FALSE(forever->value().has_value());
  CHECK_THROWS_AS(forever->get(), green::UsageError);
  CHECK(hub.now() == 0.0);
}
