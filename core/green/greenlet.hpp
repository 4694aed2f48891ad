// Greenlet: a stackful coroutine scheduled by the hub (gevent.Greenlet). Spawn one
// with spawn(fn, args...), or subclass Greenlet and override run(). A greenlet's
// failure is a stored value (exception()), reported once through the hub's error
// handler; it never unwinds its parent or stops the loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "green/exceptions.hpp"
#include "green/hub.hpp"

namespace green {

class Greenlet : public std::enable_shared_from_this<Greenlet> {
 public:
  using Ptr = std::shared_ptr<Greenlet>;
  using LinkId = std::uint64_t;
  using LinkFn = std::function<void(Greenlet&)>;

  virtual ~Greenlet();
  Greenlet(const Greenlet&) = delete;
  Greenlet& operator=(const Greenlet&) = delete;

  // Schedules the greenlet to run (after what is already queued). Once only.
  void start();
  // Schedules it to run `seconds` from now on the hub clock.
  void start_later(double seconds);

  // gevent's states. started(): start() was called. ready()/dead(): finished (or
  // killed before it ran). successful(): finished without an exception
  // (GreenletExit counts as success). exception(): the stored failure, if any.
  bool started() const noexcept { return started_; }
  bool ready() const noexcept { return state_ == State::dead; }
  bool dead() const noexcept { return state_ == State::dead; }
  bool running() const noexcept { return state_ == State::running; }
  bool successful() const noexcept { return dead() && !exception_; }
  bool killed() const noexcept { return killed_; }
  std::exception_ptr exception() const noexcept { return exception_; }
  explicit operator bool() const noexcept { return started_ && !dead(); }

  // Waits until it is dead, or `timeout` seconds pass (then just returns: check ready()).
  void join(std::optional<double> timeout = {});
  // join(), then rethrows the stored exception. GreenletOf<T>::get() also returns the
  // value. On timeout throws TimeoutError (gevent's Timeout from get(timeout=...)).
  void get(std::optional<double> timeout = {});

  // Throws GreenletExit (or `error`) into it at its next switch point. Unstarted: it
  // never runs. block=true waits up to `timeout` for it to die; block=false never
  // blocks, so it may be called from hub callbacks.
  void kill(bool block = true, std::optional<double> timeout = {});
  void kill(std::exception_ptr error, bool block = true, std::optional<double> timeout = {});

  // Callbacks run on the hub (FIFO) once it is dead; a link added after death still
  // runs. link_value/link_exception only on success/failure.
  LinkId link(LinkFn callback);
  LinkId link_value(LinkFn callback);
  LinkId link_exception(LinkFn callback);
  void unlink(LinkId id);

  // A death notification in the greenlet's intrusive list of links: link() wraps a
  // LinkFn in one; Group embeds one in each membership, so joining a group costs no
  // allocation of its own. `fire` runs on the hub once the greenlet is dead, after
  // the node was taken off the list (it may free the node); `wanted` says whether
  // `when` matched. The list is ordered by id; `owner` tags nodes for find_link.
  struct LinkNode {
    using Fire = void (*)(LinkNode& node, Greenlet& dead, bool wanted);
    explicit LinkNode(Fire on_fire, const void* tag = nullptr) : fire(on_fire), owner(tag) {}
    LinkNode(const LinkNode&) = delete;
    LinkNode& operator=(const LinkNode&) = delete;
    Fire fire;
    const void* owner;
    LinkId id = 0;
    int when = 0;  // 0 always, 1 on success, 2 on failure
    LinkNode* prev = nullptr;
    LinkNode* next = nullptr;
  };
  // Adds a node (not owned) at the end of the list; runs it soon if already dead.
  LinkId add_link_node(LinkNode& node, int when = 0);
  // Takes a node off the list (it will not fire); a node not in the list is ignored.
  void remove_link_node(LinkNode& node) noexcept;
  // The first node in the list whose owner is `owner`, or null.
  LinkNode* find_link(const void* owner) const noexcept;

  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  Hub& hub() const noexcept { return *hub_; }
  // Internal: the storage of the greenlet's machine context (context.cpp).
  struct ContextStorage {
    alignas(16) unsigned char bytes[64];
  };

 protected:
  Greenlet();  // on this thread's hub
  // The body. The default runs nothing; spawn()'s greenlets override it.
  virtual void run() {}

 private:
  friend class Hub;
  friend struct GreenletAccess;
  enum class State : std::uint8_t { created, scheduled, running, dead };
  enum class Kind : std::uint8_t { spawned, main, hub };
  struct FnLink;  // link()'s node: owns the callback, freed once fired or unlinked

  explicit Greenlet(Hub& hub, Kind kind);  // main and hub greenlets
  void enter() noexcept;                   // first code on its own stack
  void finish(std::exception_ptr error, bool killed) noexcept;
  void notify_links();
  void schedule_links();
  LinkId add_link(LinkFn callback, int when);

  Hub* hub_;
  Kind kind_ = Kind::spawned;
  State state_ = State::created;
  bool started_ = false;
  bool scheduled_ = false;  // in the hub's ready queue
  bool killed_ = false;
  bool has_context_ = false;
  bool pending_is_kill_ = false;
  std::exception_ptr pending_throw_;
  std::exception_ptr exception_;
  std::shared_ptr<Greenlet> self_;  // keeps a started greenlet alive until it dies
  LinkNode* links_head_ = nullptr;  // intrusive, by id
  LinkNode* links_tail_ = nullptr;
  LinkId next_link_id_ = 1;
  bool links_scheduled_ = false;
  std::shared_ptr<Greenlet> links_keepalive_;  // set while a notification is queued
  std::unique_ptr<class Timer> start_timer_;
  Greenlet* live_prev_ = nullptr;
  Greenlet* live_next_ = nullptr;
  std::string name_;
  ContextStorage context_;
};

// A greenlet running a callable; get() returns its result. make_greenlet() (and so
// spawn) makes a subclass holding the callable inline: one allocation per greenlet,
// and the callable may be move-only. The constructor from a callable stores a
// copyable one in a std::function, for code that names this type itself.
template <class T>
class GreenletOf : public Greenlet {
 public:
  template <class Fn>
  explicit GreenletOf(Fn&& fn) : body_(std::forward<Fn>(fn)) {}

  // The result, once it finished successfully; empty before or after a failure.
  const std::optional<T>& value() const noexcept { return value_; }
  T get(std::optional<double> timeout = {}) {
    Greenlet::get(timeout);
    if (!value_) throw UsageError("green: get() of a killed greenlet: it has no value");
    return *value_;
  }

 protected:
  GreenletOf() = default;  // the body is the subclass's call()
  virtual T call() { return body_(); }
  void run() override { value_.emplace(call()); }

 private:
  std::function<T()> body_;
  std::optional<T> value_;
};

template <>
class GreenletOf<void> : public Greenlet {
 public:
  template <class Fn>
  explicit GreenletOf(Fn&& fn) : body_(std::forward<Fn>(fn)) {}
  void get(std::optional<double> timeout = {}) { Greenlet::get(timeout); }

 protected:
  GreenletOf() = default;  // the body is the subclass's call()
  virtual void call() { body_(); }
  void run() override { call(); }

 private:
  std::function<void()> body_;
};

template <class T>
using GreenletPtr = std::shared_ptr<GreenletOf<T>>;

namespace detail {

// make_greenlet's greenlet: the callable lives inside it.
template <class T, class Body>
class InlineGreenlet final : public GreenletOf<T> {
 public:
  template <class Fn>
  explicit InlineGreenlet(Fn&& body) : body_(std::forward<Fn>(body)) {}

 protected:
  T call() override { return body_(); }

 private:
  Body body_;
};

}  // namespace detail

// Creates a greenlet for fn(args...) without starting it (gevent.Greenlet(fn, *args)).
template <class Fn, class... Args>
auto make_greenlet(Fn&& fn, Args&&... args) {
  // The body calls the stored copies as lvalues, so that is what the result is of.
  using Result = std::invoke_result_t<std::decay_t<Fn>&, std::decay_t<Args>&...>;
  if constexpr (sizeof...(Args) == 0) {
    // No arguments to bind: the callable itself is the body (one move less).
    GreenletPtr<Result> greenlet =
        std::make_shared<detail::InlineGreenlet<Result, std::decay_t<Fn>>>(std::forward<Fn>(fn));
    return greenlet;
  } else {
    auto body = [fn = std::forward<Fn>(fn),
                 tuple = std::make_tuple(std::forward<Args>(args)...)]() mutable -> Result {
      return std::apply(fn, tuple);
    };
    GreenletPtr<Result> greenlet =
        std::make_shared<detail::InlineGreenlet<Result, decltype(body)>>(std::move(body));
    return greenlet;
  }
}

// gevent.spawn: creates and starts a greenlet for fn(args...).
template <class Fn, class... Args>
auto spawn(Fn&& fn, Args&&... args) {
  auto greenlet = make_greenlet(std::forward<Fn>(fn), std::forward<Args>(args)...);
  greenlet->start();
  return greenlet;
}

// gevent.spawn_later.
template <class Fn, class... Args>
auto spawn_later(double seconds, Fn&& fn, Args&&... args) {
  auto greenlet = make_greenlet(std::forward<Fn>(fn), std::forward<Args>(args)...);
  greenlet->start_later(seconds);
  return greenlet;
}

// The running greenlet: a spawned one, the main greenlet (code outside any spawned
// greenlet), or the hub's own when called from a hub callback.
Greenlet& getcurrent();

// Suspends the current greenlet for `seconds` on the hub clock. sleep(0) yields:
// every greenlet and callback already ready runs before this one resumes.
void sleep(double seconds = 0);
// Waits until the hub has nothing else ready (no ready greenlets or callbacks).
void idle();

// Waits for the greenlets to finish, for at most `timeout` seconds, or until `count`
// of them finished. With raise_error, the first failure is rethrown as soon as it
// happens. Returns the finished ones, in the order they finished.
std::vector<Greenlet::Ptr> joinall(const std::vector<Greenlet::Ptr>& greenlets,
                                   std::optional<double> timeout = {}, bool raise_error = false,
                                   std::optional<std::size_t> count = {});

// Kills all of them (GreenletExit, or `error`); with block, waits up to `timeout`.
void killall(const std::vector<Greenlet::Ptr>& greenlets, bool block = true,
             std::optional<double> timeout = {}, std::exception_ptr error = nullptr);

// Converts typed greenlet handles for joinall/killall.
template <class... Ptrs>
std::vector<Greenlet::Ptr> greenlets(const Ptrs&... ptrs) {
  return {Greenlet::Ptr(ptrs)...};
}

}  // namespace green
