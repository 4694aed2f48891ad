// The hub's loop: run what is ready (FIFO, one turn's worth), poll libevent for fd
// events (blocking until the next timer when nothing is ready), fire due timers.
// When nothing can ever wake a waiter, LoopExit is thrown into the main greenlet.
#include "green/hub.hpp"

#include <event2/event.h>
#include <time.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>

#include "green/detail/context.hpp"
#include "green/detail/timer_heap.hpp"
#include "green/greenlet.hpp"

namespace green {
namespace {

thread_local Hub* t_hub = nullptr;
thread_local std::unique_ptr<Hub> t_default_hub;

constexpr std::size_t kHubStackSize = 1024 * 1024;  // callbacks of curl/TLS run here

double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

event_base* as_base(void* base) {
  return static_cast<event_base*>(base);
}

void describe_error(std::exception_ptr error, std::string& out) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    out = e.what();
  } catch (const TimeoutError& e) {
    out = e.what();
  } catch (...) {
    out = "unknown exception";
  }
}

}  // namespace

Hub::Hub(Options options)
    : options_(options), timers_(std::make_unique<TimerHeap>()), stacks_(options.stack_size) {
  if (t_hub != nullptr) throw UsageError("green: this thread already has a hub");
  install_stack_overflow_handler();
  event_config* config = event_config_new();
  // One thread per hub: no locking. The changelist folds add/del pairs within one
  // loop turn into at most one epoll_ctl.
  event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
  event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  // libevent's default coarse clock wakes up to ~4 ms early: the loop would spin.
  event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
  base_ = event_base_new_with_config(config);
  event_config_free(config);
  if (base_ == nullptr) throw std::runtime_error("green: event_base_new failed");
  wakeup_event_ = evtimer_new(
      as_base(base_), [](evutil_socket_t, short, void*) {}, nullptr);
  now_ = options_.virtual_clock ? 0.0 : monotonic_seconds();
  main_ = std::shared_ptr<Greenlet>(new Greenlet(*this, Greenlet::Kind::main));
  hub_greenlet_ = std::shared_ptr<Greenlet>(new Greenlet(*this, Greenlet::Kind::hub));
  current_ = main_.get();
  previous_ = t_hub;
  t_hub = this;
}

Hub::~Hub() {
  kill_survivors();
  if (hub_greenlet_->has_context_) {
    stopping_ = true;
    detail::switch_context(detail::context_of(main_->context_),
                           detail::context_of(hub_greenlet_->context_));
  }
  retired_.clear();
  // Greenlets killed before they ever ran hold themselves until their entry comes
  // up, and so do greenlets with a link notification queued: release them, after
  // the walk (one greenlet may have entries of both kinds).
  std::vector<std::shared_ptr<Greenlet>> released;
  for (const Ready& queued : ready_) {
    if (queued.kind == Ready::Kind::links) {
      released.push_back(std::move(queued.greenlet->links_keepalive_));
    } else if (queued.kind == Ready::Kind::resume && queued.greenlet->dead()) {
      released.push_back(std::move(queued.greenlet->self_));
    }
  }
  ready_.clear();
  released.clear();
  callbacks_.clear();
  event_free(static_cast<event*>(wakeup_event_));
  event_base_free(as_base(base_));
  t_hub = previous_;
}

Hub& Hub::current() {
  if (t_hub == nullptr) t_default_hub = std::make_unique<Hub>();
  return *t_hub;
}

Hub* Hub::current_if_any() noexcept {
  return t_hub;
}

void Hub::update_now() noexcept {
  if (!options_.virtual_clock) now_ = monotonic_seconds();
}

void Hub::run_callback(std::function<void()> fn) {
  callbacks_.push_back(std::move(fn));
  ready_.push_back({nullptr, Ready::Kind::callback});
}

void Hub::set_error_handler(ErrorHandler handler) {
  error_handler_ = std::move(handler);
}

void Hub::handle_error(Greenlet& greenlet, std::exception_ptr error) noexcept {
  try {
    if (error_handler_) {
      error_handler_(greenlet, error);
      return;
    }
  } catch (...) {
    // An error handler that fails falls back to the default report.
  }
  std::string what;
  describe_error(error, what);
  const char* kind = &greenlet == hub_greenlet_.get() ? "hub callback" : "greenlet";
  std::fprintf(stderr, "green: %s%s%s failed: %s\n", kind, greenlet.name().empty() ? "" : " ",
               greenlet.name().c_str(), what.c_str());
}

void Hub::schedule(Greenlet& greenlet) {
  if (greenlet.scheduled_) return;
  greenlet.scheduled_ = true;
  ready_.push_back({&greenlet, Ready::Kind::resume});
}

void Hub::park() {
  Greenlet& self = *current_;
  if (&self == hub_greenlet_.get()) {
    throw UsageError("green: blocking call on the hub (from a hub callback)");
  }
  ensure_hub_greenlet();
  current_ = hub_greenlet_.get();
  detail::switch_context(detail::context_of(self.context_),
                         detail::context_of(hub_greenlet_->context_));
  if (self.pending_throw_) {
    std::exception_ptr error = std::exchange(self.pending_throw_, nullptr);
    self.pending_is_kill_ = false;
    std::rethrow_exception(error);
  }
}

void Hub::throw_into(Greenlet& greenlet, std::exception_ptr error) {
  // A pending kill is not displaced by a later Timeout: stopping wins.
  if (!greenlet.pending_throw_ || !greenlet.pending_is_kill_) {
    greenlet.pending_throw_ = error;
    greenlet.pending_is_kill_ = false;
    try {
      std::rethrow_exception(error);
    } catch (const GreenletExit&) {
      greenlet.pending_is_kill_ = true;
    } catch (...) {
    }
  }
  schedule(greenlet);
}

void Hub::wait_idle() {
  Greenlet& self = *current_;
  idle_waiters_.push_back(&self);
  try {
    park();
  } catch (...) {
    std::erase(idle_waiters_, &self);
    throw;
  }
}

void Hub::ensure_hub_greenlet() {
  if (hub_greenlet_->has_context_) return;
  detail::make_context(
      detail::context_of(hub_greenlet_->context_), nullptr, kHubStackSize, [this] { run_loop(); },
      detail::context_of(main_->context_));
  hub_greenlet_->has_context_ = true;
}

void Hub::switch_to(Greenlet& target) {
  if (!target.has_context_) {
    detail::make_context(
        detail::context_of(target.context_), &stacks_, 0, [&target] { target.enter(); },
        detail::context_of(hub_greenlet_->context_));
    target.has_context_ = true;
  }
  current_ = &target;
  detail::switch_context(detail::context_of(hub_greenlet_->context_),
                         detail::context_of(target.context_));
  current_ = hub_greenlet_.get();
}

void Hub::retire(std::shared_ptr<Greenlet> finished) {
  retired_.push_back(std::move(finished));
}

void Hub::schedule_links(Greenlet& greenlet) {
  ready_.push_back({&greenlet, Ready::Kind::links});
}

bool Hub::has_work() const noexcept {
  return !ready_.empty() || timers_->referenced() > 0 || active_io_ > 0 || !idle_waiters_.empty();
}

void Hub::run_ready() {
  // Only what was ready when the turn began: later arrivals wait for the next
  // turn, after I/O has been polled (sleep(0) is a fair yield).
  std::size_t count = ready_.size();
  while (count-- > 0 && !ready_.empty() && !stopping_) {
    const Ready entry = ready_.front();
    ready_.pop_front();
    if (entry.kind == Ready::Kind::resume) {
      Greenlet* next = entry.greenlet;
      next->scheduled_ = false;
      if (next->dead()) {
        next->self_.reset();  // killed before it ever ran: last use of the entry
        continue;
      }
      switch_to(*next);
      retired_.clear();
    } else if (entry.kind == Ready::Kind::links) {
      entry.greenlet->notify_links();  // catches what its links throw
    } else {
      std::function<void()> call = std::move(callbacks_.front());
      callbacks_.pop_front();
      try {
        call();
      } catch (...) {
        handle_error(*hub_greenlet_, std::current_exception());
      }
    }
  }
}

void Hub::poll(bool may_block) {
  event_base* base = as_base(base_);
  // EVLOOP_NONBLOCK alone keeps looping while each pass finds active events, so a
  // level-triggered fd whose waiter has not run yet would spin here forever;
  // with EVLOOP_ONCE it is one pass.
  constexpr int kNonBlocking = EVLOOP_NONBLOCK | EVLOOP_ONCE;
  if (!may_block) {
    event_base_loop(base, kNonBlocking);
    return;
  }
  if (options_.virtual_clock) {
    std::uint64_t before = events_seen_;
    event_base_loop(base, kNonBlocking);
    if (events_seen_ == before && ready_.empty() && !timers_->empty()) {
      now_ = std::max(now_, timers_->top()->deadline());
    }
    return;
  }
  event* wakeup = static_cast<event*>(wakeup_event_);
  if (Timer* next = timers_->top()) {
    double delay = next->deadline() - monotonic_seconds();
    if (delay <= 0) {
      event_base_loop(base, kNonBlocking);
      return;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(delay);
    tv.tv_usec = static_cast<suseconds_t>((delay - static_cast<double>(tv.tv_sec)) * 1e6) + 1;
    if (tv.tv_usec >= 1000000) {
      tv.tv_sec += 1;
      tv.tv_usec -= 1000000;
    }
    evtimer_add(wakeup, &tv);
    event_base_loop(base, EVLOOP_ONCE);
    evtimer_del(wakeup);
  } else {
    event_base_loop(base, EVLOOP_ONCE);
  }
}

void Hub::run_loop() noexcept {
  while (!stopping_) {
    update_now();
    run_ready();
    if (stopping_) break;
    if (ready_.empty() && !idle_waiters_.empty()) {
      // Idle: give I/O one non-blocking look first, then wake idle() callers.
      poll(false);
      update_now();
      timers_->fire_due(now_);
      if (ready_.empty()) {
        for (Greenlet* waiter : idle_waiters_) schedule(*waiter);
        idle_waiters_.clear();
      }
      continue;
    }
    if (!has_work()) {
      // Nothing can ever wake any waiter: the main greenlet's wait fails.
      throw_into(*main_,
                 std::make_exception_ptr(LoopExit("green: this operation would block forever "
                                                  "(no ready greenlets, timers or watched fds)")));
      continue;
    }
    poll(ready_.empty());
    update_now();
    timers_->fire_due(now_);
  }
}

void Hub::kill_survivors() noexcept {
  // Give every live greenlet GreenletExit and let it unwind; a few rounds for those
  // that catch it and block again. Called on the main greenlet.
  for (int round = 0; live_head_ != nullptr && round < 100; ++round) {
    std::vector<std::shared_ptr<Greenlet>> victims;
    for (Greenlet* g = live_head_; g != nullptr; g = g->live_next_) {
      victims.push_back(g->shared_from_this());
    }
    for (auto& victim : victims) victim->kill(false);
    try {
      // Wait until the hub has run them all (they are in the ready queue now).
      while (live_head_ != nullptr && !ready_.empty()) {
        schedule(*main_);
        park();
      }
    } catch (...) {
      // LoopExit or a stray throw into main: keep tearing down.
    }
  }
  if (live_head_ != nullptr) {
    std::fprintf(stderr, "green: %zu greenlet(s) would not die; their stacks are leaked\n", live_);
  }
}

}  // namespace green
