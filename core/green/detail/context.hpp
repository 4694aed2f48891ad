// The machine context of a greenlet and the one function that switches stacks.
// Internal to green (includes Boost.Context); public headers keep it as opaque
// storage inside Greenlet.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstddef>
#include <functional>

#include "green/greenlet.hpp"
#include "green/stack.hpp"

namespace green::detail {

struct Context {
  boost::context::fiber fiber;  // how to resume this context while it is suspended
  // libstdc++'s per-thread exception state (__cxa_eh_globals), saved while suspended.
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
  // For AddressSanitizer's fiber annotations.
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
  void* fake_stack = nullptr;
};
static_assert(sizeof(Context) <= sizeof(Greenlet::ContextStorage));

inline Context& context_of(Greenlet::ContextStorage& storage) {
  return *std::launder(reinterpret_cast<Context*>(storage.bytes));
}

// Prepares `context` to run `entry` on a new stack from `pool` (or a dedicated
// stack of `stack_size` when pool is null). When `entry` returns, control passes
// to `exit_to` (read at that moment) and the stack goes back to the pool.
void make_context(Context& context, StackPool* pool, std::size_t stack_size,
                  std::function<void()> entry, Context& exit_to);

// Suspends the running context `from` and resumes `to`. Returns when something
// switches back to `from`. Saves and restores the exception state per context.
void switch_context(Context& from, Context& to) noexcept;

}  // namespace green::detail
