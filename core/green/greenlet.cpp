// Greenlet lifecycle: start, run on its own stack, die, notify links; join, get,
// kill; and the free functions sleep, idle, joinall, killall, getcurrent.
#include "green/greenlet.hpp"

#include <algorithm>
#include <new>
#include <utility>

#include "green/detail/context.hpp"
#include "green/timer.hpp"
#include "green/waiter.hpp"

namespace green {

Greenlet::Greenlet() : hub_(&Hub::current()) {
  new (context_.bytes) detail::Context();
}

Greenlet::Greenlet(Hub& hub, Kind kind) : hub_(&hub), kind_(kind) {
  new (context_.bytes) detail::Context();
  if (kind == Kind::main || kind == Kind::hub) {
    started_ = true;
    state_ = State::running;
    has_context_ = kind == Kind::main;  // main runs on the thread's own stack
    name_ = kind == Kind::main ? "main" : "hub";
  }
}

Greenlet::~Greenlet() {
  detail::Context& context = detail::context_of(context_);
  if (context.fiber) {
    // Still suspended mid-run (the hub gave up killing it): destroying the fiber
    // would unwind it outside the scheduler, so leak it instead.
    new (&context.fiber) boost::context::fiber(std::move(context.fiber));
  }
  context.~Context();
}

void Greenlet::start() {
  if (started_ || dead()) return;
  started_ = true;
  state_ = State::scheduled;
  self_ = shared_from_this();
  ++hub_->live_;
  live_next_ = hub_->live_head_;
  if (live_next_ != nullptr) live_next_->live_prev_ = this;
  hub_->live_head_ = this;
  hub_->schedule(*this);
}

void Greenlet::start_later(double seconds) {
  if (started_ || dead()) return;
  start_timer_ = std::make_unique<Timer>(*hub_, [this] { start(); });
  start_timer_->start(seconds);
  self_ = shared_from_this();  // a pending start keeps it alive
}

void Greenlet::enter() noexcept {
  state_ = State::running;
  std::exception_ptr error;
  bool was_killed = false;
  try {
    if (pending_throw_) std::rethrow_exception(std::exchange(pending_throw_, nullptr));
    run();
  } catch (const GreenletExit&) {
    was_killed = true;
  } catch (...) {
    error = std::current_exception();
  }
  finish(error, was_killed);
}

void Greenlet::finish(std::exception_ptr error, bool was_killed) noexcept {
  state_ = State::dead;
  killed_ = was_killed;
  exception_ = error;
  start_timer_.reset();
  if (started_) {
    --hub_->live_;
    if (live_prev_ != nullptr) live_prev_->live_next_ = live_next_;
    if (live_next_ != nullptr) live_next_->live_prev_ = live_prev_;
    if (hub_->live_head_ == this) hub_->live_head_ = live_next_;
    live_prev_ = live_next_ = nullptr;
  }
  if (error) {
    hub_->run_callback(
        [self = shared_from_this(), error] { self->hub_->handle_error(*self, error); });
  }
  if (!links_.empty() && !links_scheduled_) {
    links_scheduled_ = true;
    hub_->run_callback([self = shared_from_this()] { self->notify_links(); });
  }
  // A greenlet still queued (killed before it ran) is released when its queue
  // entry comes up; one that ran is released by the hub after the final switch.
  if (!scheduled_) hub_->retire(std::move(self_));
}

void Greenlet::notify_links() {
  links_scheduled_ = false;
  std::vector<Link> links = std::move(links_);
  links_.clear();
  for (Link& link : links) {
    bool wanted =
        link.when == 0 || (link.when == 1 && successful()) || (link.when == 2 && !successful());
    if (!wanted) continue;
    try {
      link.callback(*this);
    } catch (...) {
      hub_->handle_error(*this, std::current_exception());
    }
  }
}

Greenlet::LinkId Greenlet::add_link(LinkFn callback, int when) {
  LinkId id = next_link_id_++;
  links_.push_back(Link{id, std::move(callback), when});
  if (dead() && !links_scheduled_) {
    links_scheduled_ = true;
    hub_->run_callback([self = shared_from_this()] { self->notify_links(); });
  }
  return id;
}

Greenlet::LinkId Greenlet::link(LinkFn callback) {
  return add_link(std::move(callback), 0);
}
Greenlet::LinkId Greenlet::link_value(LinkFn callback) {
  return add_link(std::move(callback), 1);
}
Greenlet::LinkId Greenlet::link_exception(LinkFn callback) {
  return add_link(std::move(callback), 2);
}

void Greenlet::unlink(LinkId id) {
  std::erase_if(links_, [id](const Link& link) { return link.id == id; });
}

void Greenlet::join(std::optional<double> timeout) {
  if (dead()) return;
  if (this == &getcurrent()) throw UsageError("green: a greenlet cannot join itself");
  Ptr keep_alive = shared_from_this();  // the caller may drop its last reference meanwhile
  Waiter waiter;
  LinkId id = link([&waiter](Greenlet&) { waiter.wake(); });
  try {
    waiter.wait(timeout);
  } catch (...) {
    unlink(id);
    throw;
  }
  unlink(id);
}

void Greenlet::get(std::optional<double> timeout) {
  join(timeout);
  if (!dead()) throw TimeoutError(timeout.value_or(0), nullptr);
  if (exception_) std::rethrow_exception(exception_);
}

void Greenlet::kill(bool block, std::optional<double> timeout) {
  kill(std::make_exception_ptr(GreenletExit{}), block, timeout);
}

void Greenlet::kill(std::exception_ptr error, bool block, std::optional<double> timeout) {
  if (dead() || kind_ != Kind::spawned) return;
  if (state_ != State::running) {
    // Never ran (not started, start pending, or queued): it never will.
    bool is_exit = false;
    try {
      std::rethrow_exception(error);
    } catch (const GreenletExit&) {
      is_exit = true;
    } catch (...) {
    }
    finish(is_exit ? nullptr : error, is_exit);
    return;
  }
  if (this == &getcurrent()) std::rethrow_exception(error);
  Ptr keep_alive = shared_from_this();
  hub_->throw_into(*this, error);
  if (block) join(timeout);
}

Greenlet& getcurrent() {
  return Hub::current().current_greenlet();
}

void sleep(double seconds) {
  Hub& hub = Hub::current();
  if (seconds <= 0) {
    Greenlet& self = hub.current_greenlet();
    hub.schedule(self);
    hub.park();
    return;
  }
  Waiter waiter;
  waiter.wait(seconds);
}

void idle() {
  Hub::current().wait_idle();
}

std::vector<Greenlet::Ptr> joinall(const std::vector<Greenlet::Ptr>& greenlets,
                                   std::optional<double> timeout, bool raise_error,
                                   std::optional<std::size_t> count) {
  std::size_t wanted = std::min(count.value_or(greenlets.size()), greenlets.size());
  std::vector<Greenlet::Ptr> done;
  Waiter waiter;
  std::exception_ptr failure;
  std::vector<std::pair<Greenlet*, Greenlet::LinkId>> links;
  auto on_death = [&](Greenlet& greenlet) {
    done.push_back(greenlet.shared_from_this());
    if (raise_error && !failure && greenlet.exception()) failure = greenlet.exception();
    if (done.size() >= wanted || failure) waiter.wake();
  };
  for (const auto& greenlet : greenlets)
    links.emplace_back(greenlet.get(), greenlet->link(on_death));
  auto unlink_all = [&] {
    for (auto& [greenlet, id] : links) greenlet->unlink(id);
  };
  try {
    if (wanted > 0) waiter.wait(timeout);
  } catch (...) {
    unlink_all();
    throw;
  }
  unlink_all();
  if (failure) std::rethrow_exception(failure);
  return done;
}

void killall(const std::vector<Greenlet::Ptr>& greenlets, bool block, std::optional<double> timeout,
             std::exception_ptr error) {
  if (!error) error = std::make_exception_ptr(GreenletExit{});
  for (const auto& greenlet : greenlets) greenlet->kill(error, false);
  if (block) joinall(greenlets, timeout);
}

}  // namespace green
