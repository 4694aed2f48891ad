// The open-file budget of a run (cmd/open_files.hpp): how many descriptors a pool
// needs, the largest pool a limit holds, and raising the soft limit in place.
#include <sys/resource.h>

#include <catch2/catch.hpp>

#include "cmd/open_files.hpp"

using gfetch::cli::files_needed;
using gfetch::cli::fit_open_file_limit;
using gfetch::cli::pool_within;

TEST_CASE("a pool needs a descriptor per fetch, two with -o, a socketpair per 32, and 64 more") {
  CHECK(files_needed(1, 1) == 1 + 1 + 64);
  CHECK(files_needed(90, 1) == 90 + 6 + 64);
  CHECK(files_needed(5000, 1) == 5000 + 313 + 64);
  CHECK(files_needed(46, 2) == 92 + 3 + 64);
}

TEST_CASE("the largest pool a limit holds, never above the pool asked for, never below 1") {
  CHECK(pool_within(250, 1, 160) == 90);
  CHECK(files_needed(91, 1) > 160);
  CHECK(pool_within(250, 2, 160) == 46);
  CHECK(files_needed(47, 2) > 160);
  CHECK(pool_within(10, 1, 160) == 10);
  CHECK(pool_within(10, 1, 50) == 1);
  CHECK(pool_within(5000, 1, 1024) == 903);
  for (std::uint64_t limit = files_needed(1, 1); limit < 3000; limit += 7) {
    const std::size_t pool = pool_within(100000, 1, limit);
    CHECK(files_needed(pool, 1) <= limit);
    CHECK(files_needed(pool + 1, 1) > limit);
  }
}

TEST_CASE("the soft open-file limit is raised to what the pool needs, and no further") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  const std::uint64_t needed = files_needed(1000, 1);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < needed) {
    WARN("hard open-file limit " << saved.rlim_max << ": too low for this test");
    return;
  }
  rlimit low = saved;
  low.rlim_cur = 100;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  gfetch::Options options;
  options.pool = 1000;
  const std::optional<std::string> warning = fit_open_file_limit(options);
  rlimit now{};
  ::getrlimit(RLIMIT_NOFILE, &now);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK_FALSE(warning.has_value());
  CHECK(options.pool == 1000);
  CHECK(now.rlim_cur == needed);
}
