// The summary: counts by outcome, bytes, and latency percentiles from the fixed-size
// histogram (within 1% of the exact nearest-rank value).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "fetch/summary.hpp"

using gfetch::LatencyHistogram;
using gfetch::Result;
using gfetch::Summary;

TEST_CASE("percentiles of 1..1000 ms") {
  LatencyHistogram histogram;
  for (int ms = 1; ms <= 1000; ++ms) histogram.add(ms / 1000.0);
  CHECK(histogram.count() == 1000);
  CHECK(histogram.percentile(50) == Approx(0.500).epsilon(0.01));
  CHECK(histogram.percentile(90) == Approx(0.900).epsilon(0.01));
  CHECK(histogram.percentile(99) == Approx(0.990).epsilon(0.01));
  CHECK(histogram.percentile(100) == Approx(1.000).epsilon(0.01));
}

TEST_CASE("percentiles match the exact nearest rank on random data") {
  std::mt19937 random(42);
  std::lognormal_distribution<double> latency(-4, 1.5);
  std::vector<double> values;
  LatencyHistogram histogram;
  for (int i = 0; i < 20000; ++i) {
    double value = latency(random);
    values.push_back(value);
    histogram.add(value);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100 * values.size()));
    INFO(p);
    CHECK(histogram.percentile(p) == Approx(values[rank - 1]).epsilon(0.01));
  }
}

TEST_CASE("empty and extreme histograms") {
  LatencyHistogram histogram;
  CHECK(histogram.percentile(50) == 0);
  histogram.add(0);
  histogram.add(1e9);
  CHECK(histogram.percentile(50) > 0);
  CHECK(std::isfinite(histogram.percentile(100)));
}

TEST_CASE("the summary counts outcomes and renders them") {
  Summary summary;
  Result ok;
  ok.status = 200;
  ok.bytes = 1024;
  ok.time_total = 0.01;
  Result not_found = ok;
  not_found.status = 404;
  Result failed_404 = not_found;
  failed_404.error = "http-error";
  Result refused;
  refused.error = "connect-refused";
  Result invalid;
  invalid.error = "invalid-url";
  for (const Result& r : {ok, ok, not_found, failed_404, refused, refused, invalid}) summary.add(r);
  CHECK(summary.total() == 7);
  CHECK(summary.ok() == 2);
  CHECK(summary.http_errors() == 2);
  CHECK(summary.failed() == 4);
  CHECK(summary.bytes() == 4096);
  CHECK(summary.errors().at("connect-refused") == 2);
  CHECK(summary.errors().at("invalid-url") == 1);
  std::string text = summary.render(2.0);
  CHECK(text.find("7 URLs: 2 ok, 2 HTTP error, 2 connect-refused, 1 invalid-url") != text.npos);
  CHECK(text.find("4.0 KiB in 2.00 s, 3.5 requests/s") != text.npos);
  CHECK(text.find("latency p50 10 ms, p90 10 ms, p99 10 ms") != text.npos);
}
