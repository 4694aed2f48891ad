// clock_gettime() for the whole process, so that libcurl's clock reads while the
// hub hands it an event get that event's time (see net/detail/curl_clock.hpp).
// Every other read goes to glibc's clock_gettime, found with dlsym(RTLD_NEXT).
#include "net/detail/curl_clock.hpp"

#include <dlfcn.h>
#include <time.h>

#include <atomic>

namespace gfetch::net::detail::curl_clock {
namespace {

using ClockRead = int (*)(clockid_t, timespec*);

// glibc's clock_gettime (the vDSO's), looked up at the first read. Threads may
// race to look it up: each finds the same function.
ClockRead glibc_clock_gettime() noexcept {
  static std::atomic<ClockRead> found{nullptr};
  ClockRead function = found.load(std::memory_order_relaxed);
  if (function == nullptr) {
    function = reinterpret_cast<ClockRead>(::dlsym(RTLD_NEXT, "clock_gettime"));
    found.store(function, std::memory_order_relaxed);
  }
  return function;
}

// Trivially destructible, so clock_gettime() reads it with no TLS guard.
struct ThreadClock {
  bool in_scope = false;            // a Frozen lives
  bool read = false;                // the scope's time is in `time`
  unsigned connections_set_up = 0;  // ConnectionSetups alive
  timespec time{};
  Counts counts;
};
thread_local ThreadClock t_clock;

}  // namespace

Frozen::Frozen() noexcept : outermost_(!t_clock.in_scope) {
  if (outermost_) {
    t_clock.in_scope = true;
    t_clock.read = false;
  }
}

Frozen::~Frozen() {
  if (outermost_) t_clock.in_scope = false;
}

ConnectionSetup::ConnectionSetup() noexcept {
  ++t_clock.connections_set_up;
}

ConnectionSetup::~ConnectionSetup() {
  --t_clock.connections_set_up;
  t_clock.read = false;  // the clock was read meanwhile: the scope's time is older
}

unsigned connections_being_set_up() noexcept {
  return t_clock.connections_set_up;
}

void thaw() noexcept {
  t_clock.read = false;
}

Counts counts() noexcept {
  return t_clock.counts;
}

}  // namespace gfetch::net::detail::curl_clock

namespace curl_clock = gfetch::net::detail::curl_clock;

namespace {

// The reads a freezing scope does not answer from its time (its first read, reads
// while a connection is set up, other clocks, reads outside scopes): out of line,
// so that the answered ones (~30 a request) make no register saves.
[[gnu::noinline]] int read_the_clock(clockid_t clock, timespec* time) noexcept {
  curl_clock::ThreadClock& state = curl_clock::t_clock;
  if (clock == CLOCK_MONOTONIC && state.in_scope) {
    if (state.connections_set_up == 0) {  // the scope's first read
      const int failed = curl_clock::glibc_clock_gettime()(clock, &state.time);
      if (failed != 0) return failed;
      state.read = true;
      ++state.counts.read;
      *time = state.time;
      return 0;
    }
    ++state.counts.unfrozen;
  }
  return curl_clock::glibc_clock_gettime()(clock, time);
}

}  // namespace

extern "C" int clock_gettime(clockid_t clock, timespec* time) noexcept {
  curl_clock::ThreadClock& state = curl_clock::t_clock;
  if (clock == CLOCK_MONOTONIC && state.in_scope && state.read && state.connections_set_up == 0) {
    ++state.counts.answered;
    *time = state.time;
    return 0;
  }
  return read_the_clock(clock, time);
}
