// The progress line: its text, at most one draw per 0.1 s of hub time however
// often it is updated, and erasing (not scrolling) the line.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "fetch/progress.hpp"

using gfetch::Progress;
using gfetch::ProgressCounts;

namespace {

std::string drain(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("the line says done/total, rate, bytes, failures, in flight") {
  ProgressCounts counts;
  counts.done = 50;
  counts.bytes = 2048;
  counts.failures = 2;
  counts.in_flight = 10;
  CHECK(Progress::render(counts, 2.0) == "50/? done, 25.0/s, 2.0 KiB, 2 failed, 10 in flight");
  counts.total = 100;
  CHECK(Progress::render(counts, 2.0).rfind("50/100 done", 0) == 0);
}

TEST_CASE("at most 10 draws a second, each erased with a carriage return and clear-to-end") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
  {
    Progress progress(fds[1], true);
    ProgressCounts counts;
    for (int i = 0; i <= 1000; ++i) {
      counts.done = static_cast<std::uint64_t>(i);
      progress.update(counts, i * 0.001);  // 1,000 updates over one second
    }
    CHECK(progress.draws() >= 10);
    CHECK(progress.draws() <= 11);
    progress.clear();
  }
  std::string out = drain(fds[0]);
  CHECK(out.rfind("\r", 0) == 0);
  CHECK(out.size() >= 4);
  CHECK(out.substr(out.size() - 4) == "\r\x1b[K");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("an inactive progress writes nothing") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
  {
    Progress progress(fds[1], false);
    progress.update(ProgressCounts{}, 1.0);
    progress.clear();
    CHECK(progress.draws() == 0);
  }
  CHECK(drain(fds[0]).empty());
  ::close(fds[0]);
  ::close(fds[1]);
}
