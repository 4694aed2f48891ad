// The hub: one per thread, the loop every greenlet of that thread runs on. It owns
// the libevent event_base, a FIFO ready queue, the timer heap and the clock, and
// switches between greenlets. Nothing else: HTTP, DNS and crawling are separate
// objects that take a Hub&. Blocking primitives are built on Waiter (waiter.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "green/stack.hpp"

namespace green {

class Greenlet;
class Timer;
class IoWatcher;

class Hub {
 public:
  struct Options {
    // Stack of each spawned greenlet (the hub's own stack is larger, fixed).
    std::size_t stack_size = StackPool::default_stack_size();
    // Virtual time for tests: the clock starts at 0 and, whenever nothing is ready
    // and no fd event is pending, jumps straight to the next timer. Sleeps and
    // timeouts become instant and exact. Only for code whose I/O is all in-process.
    bool virtual_clock = false;
  };
  using ErrorHandler = std::function<void(Greenlet&, std::exception_ptr)>;

  // Becomes this thread's hub. At most one hub per thread at a time.
  explicit Hub(Options options);
  Hub() : Hub(Options{}) {}
  // Kills (GreenletExit) every greenlet still alive on this hub and lets them unwind.
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // This thread's hub; creates a default one (destroyed at thread exit) if none.
  static Hub& current();
  static Hub* current_if_any() noexcept;

  // Seconds on the hub's monotonic clock; updated once per loop turn (libev's now).
  double now() const noexcept { return now_; }
  void update_now() noexcept;
  bool virtual_clock() const noexcept { return options_.virtual_clock; }

  // Runs `fn` on the hub after everything already queued (FIFO). Callbacks must not
  // block; an exception escaping one is reported through the error handler.
  void run_callback(std::function<void()> fn);

  // Called once per greenlet that dies of an exception other than GreenletExit.
  // Default: prints the greenlet and the exception to stderr.
  void set_error_handler(ErrorHandler handler);
  void handle_error(Greenlet& greenlet, std::exception_ptr error) noexcept;

  Greenlet& current_greenlet() const noexcept { return *current_; }
  Greenlet& main_greenlet() const noexcept { return *main_; }
  bool in_hub() const noexcept { return current_ == hub_greenlet_.get(); }
  std::size_t live_greenlets() const noexcept { return live_; }
  StackPool& stack_pool() noexcept { return stacks_; }

  // ---- Scheduler interface for green's own primitives (Waiter, Timer, Greenlet) ----

  // Makes `greenlet` runnable: it resumes from its switch point after the callbacks
  // and greenlets already queued. Idempotent until it runs.
  void schedule(Greenlet& greenlet);
  // Suspends the current greenlet until something schedules it; then throws the
  // exception thrown into it (kill, Timeout), if any. Not callable on the hub.
  void park();
  // Arranges for `error` to be thrown from `greenlet`'s current switch point.
  void throw_into(Greenlet& greenlet, std::exception_ptr error);

  // Parks the current greenlet until the hub has nothing else ready (idle()).
  void wait_idle();
  // Counts fd/signal events dispatched by libevent; io.cpp and signal.cpp bump it
  // so the virtual clock knows whether a poll found anything.
  void note_event() noexcept { ++events_seen_; }

  // libevent's event_base, for green's own .cpp files (io.cpp, signal.cpp).
  void* native_loop() const noexcept { return base_; }

 private:
  friend class Greenlet;
  friend class Timer;
  friend class IoWatcher;

  void run_loop() noexcept;
  void run_ready();
  void poll(bool may_block);
  bool has_work() const noexcept;
  void switch_to(Greenlet& target);
  void retire(std::shared_ptr<Greenlet> finished);
  // Queues greenlet.notify_links() like a callback (the greenlet keeps itself alive).
  void schedule_links(Greenlet& greenlet);
  void ensure_hub_greenlet();
  void kill_survivors() noexcept;

  Options options_;
  void* base_ = nullptr;          // event_base*
  void* wakeup_event_ = nullptr;  // the one libevent timer for the next deadline
  double now_ = 0;
  double clock_origin_ = 0;
  // The ready queue. Entries stay small, so a yield moves no std::function.
  struct Ready {
    enum class Kind : std::uint8_t { resume, callback, links };
    Greenlet* greenlet;  // resume it, or notify its links; null for a callback
    Kind kind;
  };
  std::deque<Ready> ready_;
  std::deque<std::function<void()>> callbacks_;
  std::unique_ptr<class TimerHeap> timers_;
  std::size_t active_io_ = 0;  // ref'd, started IoWatchers
  std::size_t live_ = 0;       // started, not yet dead spawned greenlets
  StackPool stacks_;
  std::shared_ptr<Greenlet> main_;
  std::shared_ptr<Greenlet> hub_greenlet_;
  Greenlet* current_ = nullptr;
  std::vector<std::shared_ptr<Greenlet>> retired_;
  Greenlet* live_head_ = nullptr;  // intrusive list of live greenlets, for ~Hub
  std::vector<Greenlet*> idle_waiters_;
  std::uint64_t events_seen_ = 0;
  ErrorHandler error_handler_;
  bool stopping_ = false;
  Hub* previous_ = nullptr;
};

// gevent's names for the current hub and its clock.
inline Hub& get_hub() {
  return Hub::current();
}

}  // namespace green
