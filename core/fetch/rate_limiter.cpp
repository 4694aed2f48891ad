// The token bucket of --rate (see rate_limiter.hpp).
#include "fetch/rate_limiter.hpp"

#include <algorithm>

#include "green/greenlet.hpp"
#include "green/hub.hpp"

namespace gfetch {

RateLimiter::RateLimiter(double per_second, std::uint32_t burst)
    : interval_(1.0 / per_second),
      burst_span_(interval_ * static_cast<double>(std::max<std::uint32_t>(burst, 1) - 1)) {}

double RateLimiter::delay() const {
  double now = green::get_hub().now();
  return std::max(0.0, std::max(next_, now - burst_span_) - now);
}

void RateLimiter::acquire() {
  green::Hub& hub = green::get_hub();
  hub.update_now();
  double now = hub.now();
  double slot = std::max(next_, now - burst_span_);
  next_ = slot + interval_;
  if (slot > now) green::sleep(slot - now);
}

}  // namespace gfetch
