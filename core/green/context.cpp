// The one place that switches stacks (Boost.Context fibers). It also carries the
// two things a stack switch must take along: libstdc++'s per-thread exception
// state (Boost 1.74's fcontext shares it between fibers; fixed only in 1.88) and
// AddressSanitizer's fiber annotations.
#include "green/detail/context.hpp"

#include <cxxabi.h>

#include <memory>
#include <utility>

#if defined(GREEN_SANITIZE_ADDRESS)
#include <sanitizer/common_interface_defs.h>
#endif

namespace green::detail {
namespace {

// Layout of libstdc++'s __cxa_eh_globals (unwind-cxx.h); stable ABI since GCC 3.
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

// The address is fixed per thread, so look it up once.
thread_local EhGlobals* t_eh_globals = nullptr;

EhGlobals* eh_globals() noexcept {
  if (t_eh_globals == nullptr)
    t_eh_globals = reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
  return t_eh_globals;
}

// The context that performed the switch we are returning from: it stores its own
// continuation there (boost::context::fiber hands it to the resumed side).
thread_local Context* t_switched_from = nullptr;

void start_switch([[maybe_unused]] void** fake_stack_save, [[maybe_unused]] const Context& to) {
#if defined(GREEN_SANITIZE_ADDRESS)
  __sanitizer_start_switch_fiber(fake_stack_save, to.stack_bottom, to.stack_size);
#endif
}

void finish_switch([[maybe_unused]] void* fake_stack_save, [[maybe_unused]] Context& from) {
#if defined(GREEN_SANITIZE_ADDRESS)
  __sanitizer_finish_switch_fiber(fake_stack_save, &from.stack_bottom, &from.stack_size);
#else
  (void)from;
#endif
}

// Boost's StackAllocator concept over green's pooled, guard-paged stacks.
struct GreenStackAllocator {
  StackPool* pool;
  std::size_t size;
  Context* owner;  // learns its stack bounds, for ASan

  boost::context::stack_context allocate() {
    Stack stack = pool ? pool->allocate() : map_stack(size);
    owner->stack_bottom = stack.base;
    owner->stack_size = stack.size;
    boost::context::stack_context context;
    context.size = stack.size;
    context.sp = stack.top();
    return context;
  }
  void deallocate(boost::context::stack_context& context) noexcept {
    Stack stack{static_cast<char*>(context.sp) - context.size, context.size};
    if (pool) {
      pool->release(stack);
    } else {
      unmap_stack(stack);
    }
  }
};

}  // namespace

void make_context(Context& context, StackPool* pool, std::size_t stack_size,
                  std::function<void()> entry, Context& exit_to) {
  GreenStackAllocator allocator{pool, pool ? pool->stack_size() : stack_size, &context};
  context.fiber = boost::context::fiber(
      std::allocator_arg, allocator,
      [&context, &exit_to, entry = std::move(entry)](boost::context::fiber&& caller) mutable {
        finish_switch(nullptr, *t_switched_from);
        t_switched_from->fiber = std::move(caller);
        EhGlobals* globals = eh_globals();
        globals->caught_exceptions = nullptr;
        globals->uncaught_exceptions = 0;
        entry();
        entry = nullptr;  // release captures while the stack is still ours
        // This stack is done: nullptr tells ASan to drop its fake stack.
        start_switch(nullptr, exit_to);
        t_switched_from = &context;
        return std::move(exit_to.fiber);
      });
}

void switch_context(Context& from, Context& to) noexcept {
  EhGlobals* globals = eh_globals();
  from.caught_exceptions = globals->caught_exceptions;
  from.uncaught_exceptions = globals->uncaught_exceptions;

  start_switch(&from.fake_stack, to);
  t_switched_from = &from;
  boost::context::fiber back = std::move(to.fiber).resume();
  finish_switch(from.fake_stack, *t_switched_from);
  t_switched_from->fiber = std::move(back);

  globals->caught_exceptions = from.caught_exceptions;
  globals->uncaught_exceptions = from.uncaught_exceptions;
}

}  // namespace green::detail
