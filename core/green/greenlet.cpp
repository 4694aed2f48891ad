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

struct Greenlet::FnLink final : LinkNode {
  explicit FnLink(LinkFn fn) : LinkNode(&fire_and_free), callback(std::move(fn)) {}
  static void fire_and_free(LinkNode& node, Greenlet& dead, bool wanted) {
    std::unique_ptr<FnLink> self(static_cast<FnLink*>(&node));
    if (wanted) self->callback(dead);
  }
  LinkFn callback;
};

Greenlet::~Greenlet() {
  // Only link()'s own nodes can be left: a Group's member holds the greenlet.
  while (LinkNode* node = links_head_) {
    remove_link_node(*node);
    if (node->owner == nullptr) delete static_cast<FnLink*>(node);
  }
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
  if (links_head_ != nullptr) schedule_links();
  // A greenlet still queued (killed before it ran) is released when its queue
  // entry comes up; one that ran is released by the hub after the final switch.
  if (!scheduled_) hub_->retire(std::move(self_));
}

// Queued on the hub like a callback (FIFO with them), without allocating one: an
// entry of the hub's ready queue names the greenlet, links_keepalive_ holds it.
void Greenlet::schedule_links() {
  if (links_scheduled_) return;
  links_scheduled_ = true;
  links_keepalive_ = shared_from_this();
  hub_->schedule_links(*this);
}

// Fires the links present when the notification was queued, in order; a link
// removed meanwhile (by an earlier one) does not fire, like gevent's. Links added
// meanwhile get a notification of their own.
void Greenlet::notify_links() {
  std::shared_ptr<Greenlet> keep = std::move(links_keepalive_);
  links_scheduled_ = false;
  const LinkId last = next_link_id_ - 1;
  while (links_head_ != nullptr && links_head_->id <= last) {
    LinkNode& node = *links_head_;
    remove_link_node(node);
    const bool wanted =
        node.when == 0 || (node.when == 1 && successful()) || (node.when == 2 && !successful());
    try {
      node.fire(node, *this, wanted);
    } catch (...) {
      hub_->handle_error(*this, std::current_exception());
    }
  }
}

Greenlet::LinkId Greenlet::add_link_node(LinkNode& node, int when) {
  node.id = next_link_id_++;
  node.when = when;
  node.prev = links_tail_;
  node.next = nullptr;
  if (links_tail_ != nullptr) {
    links_tail_->next = &node;
  } else {
    links_head_ = &node;
  }
  links_tail_ = &node;
  if (dead()) schedule_links();
  return node.id;
}

void Greenlet::remove_link_node(LinkNode& node) noexcept {
  if (node.prev == nullptr && links_head_ != &node) return;  // not in the list
  if (node.prev != nullptr) node.prev->next = node.next;
  if (node.next != nullptr) node.next->prev = node.prev;
  if (links_head_ == &node) links_head_ = node.next;
  if (links_tail_ == &node) links_tail_ = node.prev;
  node.prev = node.next = nullptr;
}

Greenlet::LinkNode* Greenlet::find_link(const void* owner) const noexcept {
  for (LinkNode* node = links_head_; node != nullptr; node = node->next) {
    if (node->owner == owner) return node;
  }
  return nullptr;
}

Greenlet::LinkId Greenlet::add_link(LinkFn callback, int when) {
  auto node = std::make_unique<FnLink>(std::move(callback));
  LinkId id = add_link_node(*node, when);
  (void)node.release();  // the list owns it now
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
  for (LinkNode* node = links_head_; node != nullptr; node = node->next) {
    if (node->id == id && node->owner == nullptr) {
      remove_link_node(*node);
      delete static_cast<FnLink*>(node);
      return;
    }
  }
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
