// Retry decisions and delays: which errors and statuses are retried, backoff with
// jitter inside its bounds, Retry-After in both forms.
#include <catch2/catch.hpp>

#include "fetch/retry.hpp"
#include "net/error.hpp"

using gfetch::net::errc;

TEST_CASE("connection errors, timeouts and some statuses are retryable") {
  CHECK(gfetch::retryable_error(errc::connect_refused));
  CHECK(gfetch::retryable_error(errc::connect_timeout));
  CHECK(gfetch::retryable_error(errc::total_timeout));
  CHECK(gfetch::retryable_error(errc::stall_timeout));
  CHECK(gfetch::retryable_error(errc::connection_reset));
  CHECK_FALSE(gfetch::retryable_error(errc::dns_not_found));
  CHECK_FALSE(gfetch::retryable_error(errc::tls_failure));
  CHECK_FALSE(gfetch::retryable_error(errc::cancelled));
  CHECK_FALSE(gfetch::retryable_error(errc::invalid_url));
  for (int status : {408, 429, 500, 502, 503, 504}) CHECK(gfetch::retryable_status(status));
  for (int status : {200, 301, 400, 401, 403, 404, 501, 505}) {
    CHECK_FALSE(gfetch::retryable_status(status));
  }
}

TEST_CASE("backoff doubles, jitters between 0.5 and 1 times it, and is capped") {
  CHECK(gfetch::backoff_delay(1, 1, 30, 0) == Approx(0.5));
  CHECK(gfetch::backoff_delay(1, 1, 30, 0.999) == Approx(0.9995));
  CHECK(gfetch::backoff_delay(3, 1, 30, 0) == Approx(2));
  CHECK(gfetch::backoff_delay(4, 0.5, 30, 1) == Approx(4));
  CHECK(gfetch::backoff_delay(20, 1, 30, 0.5) == Approx(30));
  CHECK(gfetch::backoff_delay(2, 0, 30, 0.5) == 0);
}

TEST_CASE("Retry-After as seconds or as an HTTP date") {
  CHECK(*gfetch::parse_retry_after("120", 0) == 120);
  CHECK(*gfetch::parse_retry_after(" 0 ", 0) == 0);
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  CHECK(*gfetch::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == 10);
  CHECK(*gfetch::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490) == 0);
  CHECK_FALSE(gfetch::parse_retry_after("soon", 0));
  CHECK_FALSE(gfetch::parse_retry_after("", 0));
  CHECK_FALSE(gfetch::parse_retry_after("-5", 0));
}
