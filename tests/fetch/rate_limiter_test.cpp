// --rate's token bucket on a virtual-clock hub: starts are spaced exactly 1/rate
// apart, FIFO, a burst allows back-to-back starts after idling, and waiting for
// the rate composes with a pool.
#include <catch2/catch.hpp>
#include <vector>

#include "fetch/rate_limiter.hpp"
#include "green/greenlet.hpp"
#include "green/hub.hpp"
#include "green/pool.hpp"

using gfetch::RateLimiter;

namespace {

green::Hub::Options virtual_clock() {
  green::Hub::Options options;
  options.virtual_clock = true;
  return options;
}

}  // namespace

TEST_CASE("starts are evenly spaced at the rate, in arrival order") {
  green::Hub hub(virtual_clock());
  RateLimiter limiter(5);  // 5 per second: 0.2 s apart
  std::vector<std::pair<int, double>> starts;
  green::Pool pool(100);
  for (int i = 0; i < 10; ++i) {
    pool.spawn([&, i] {
      limiter.acquire();
      starts.emplace_back(i, hub.now());
    });
  }
  pool.join();
  REQUIRE(starts.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(starts[i].first == i);
    CHECK(starts[i].second == Approx(0.2 * i).margin(1e-9));
  }
}

TEST_CASE("an idle limiter does not bank starts unless a burst is allowed") {
  green::Hub hub(virtual_clock());
  RateLimiter strict(10);
  RateLimiter bursty(10, 3);
  std::vector<double> strict_starts;
  std::vector<double> bursty_starts;
  auto main = green::spawn([&] {
    green::sleep(5);
    for (int i = 0; i < 4; ++i) {
      strict.acquire();
      strict_starts.push_back(hub.now());
    }
    for (int i = 0; i < 4; ++i) {
      bursty.acquire();
      bursty_starts.push_back(hub.now());
    }
  });
  main->join();
  CHECK(strict_starts[0] == Approx(5.0));
  CHECK(strict_starts[3] == Approx(5.3));
  double t = bursty_starts[0];
  CHECK(bursty_starts[1] == Approx(t));
  CHECK(bursty_starts[2] == Approx(t));
  CHECK(bursty_starts[3] == Approx(t + 0.1));
}

TEST_CASE("rate and pool together: the tighter bound wins") {
  green::Hub hub(virtual_clock());
  RateLimiter limiter(100);  // 0.01 s apart
  green::Pool pool(2);       // each job holds its slot for 1 s
  std::vector<double> starts;
  for (int i = 0; i < 6; ++i) {
    pool.spawn([&] {
      limiter.acquire();
      starts.push_back(hub.now());
      green::sleep(1);
    });
  }
  pool.join();
  REQUIRE(starts.size() == 6);
  CHECK(starts[0] == Approx(0.0).margin(1e-9));
  CHECK(starts[1] == Approx(0.01));
  CHECK(starts[2] == Approx(1.0));
  CHECK(starts[5] == Approx(2.01));
  CHECK(hub.now() == Approx(3.01));
}

TEST_CASE("per-minute rates") {
  green::Hub hub(virtual_clock());
  RateLimiter limiter(2.0 / 60);  // 2 per minute
  auto main = green::spawn([&] {
    for (int i = 0; i < 3; ++i) limiter.acquire();
  });
  main->join();
  CHECK(hub.now() == Approx(60.0));
}
