// The seed's cooperative subprocess: a cron greenlet keeps printing every 0.2 s
// while the main greenlet waits in communicate() for `sleep 1; uname`, then the
// cron is killed and the child's output printed.
#include <catch2/catch.hpp>

#include <sys/utsname.h>

#include <string>
#include <vector>

#include "green/green.hpp"
#include "green/subprocess.hpp"
#include "printed.hpp"

using seeds::Printed;

namespace {

std::string rstrip(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("a greenlet keeps ticking while a child process runs", "[seeds][subprocess]") {
  green::Hub hub;  // a real child: the real clock
  Printed print;
  std::vector<double> ticks;
  auto cron = [&] {
    while (true) {
      print("cron");
      ticks.push_back(hub.now());
      green::sleep(0.2);
    }
  };

  double start = hub.now();
  auto g = green::spawn(cron);
  // Popen(['sleep 1; uname'], stdout=PIPE, shell=True)
  green::Popen::Options options;  // ({.out = ...} trips -Wmissing-field-initializers)
  options.out = green::Stdio::pipe;
  green::Popen sub({"/bin/sh", "-c", "sleep 1; uname"}, options);
  green::Popen::Output output = sub.communicate();
  double end = hub.now();
  g->kill();
  print(rstrip(output.out));

  utsname name{};
  REQUIRE(uname(&name) == 0);
  CHECK(print.lines.back() == name.sysname);  // "Linux"
  CHECK(sub.returncode() == 0);
  CHECK(end - start >= 1.0);

  // The cron ran all along: "cron" every 0.2 s while the main greenlet waited (a
  // blocking wait would have let it print once, at the end).
  REQUIRE(print.lines.size() == ticks.size() + 1);
  for (std::size_t i = 0; i + 1 < print.lines.size(); ++i) CHECK(print.lines[i] == "cron");
  CHECK(ticks.size() >= 4);
  CHECK(static_cast<double>(ticks.size()) <= (end - start) / 0.2 + 1);
  for (std::size_t i = 1; i < ticks.size(); ++i) CHECK(ticks[i] - ticks[i - 1] >= 0.2);
  CHECK(ticks.back() < end);
  CHECK(g->dead());
}
