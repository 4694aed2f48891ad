// Group: a set of greenlets managed together (gevent.pool.Group). Members leave the
// group by themselves when they die (through a link); join() waits until it is
// empty, kill() stops them all. map/imap/imap_unordered run a function over an
// input range in member greenlets. Pool (pool.hpp) is a Group that bounds its size.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "green/event.hpp"
#include "green/exceptions.hpp"
#include "green/greenlet.hpp"
#include "green/queue.hpp"
#include "green/semaphore.hpp"

namespace green {

template <class R>
class IMap;

class Group {
 public:
  Group() { empty_.set(); }
  // Forgets the members (unlinks from them); they keep running. Join or kill first.
  virtual ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // Adds a greenlet (started or not, even dead); it is discarded once dead and its
  // links have run. Adding a member again does nothing. Pool: may block (pool.hpp).
  virtual void add(Greenlet::Ptr greenlet);
  // Removes it without touching it; does nothing if it is not a member.
  void discard(Greenlet& greenlet);
  bool contains(const Greenlet& greenlet) const { return member_of(greenlet) != nullptr; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // The members, in the order they were added.
  std::vector<Greenlet::Ptr> greenlets() const;
  // Pool: no free slot. A Group is never full.
  virtual bool full() const { return false; }

 protected:
  // Called after a member left (died or was discarded). Pool frees its slot.
  virtual void on_removed() {}

 public:
  // add(), then starts it.
  void start(const Greenlet::Ptr& greenlet);
  // gevent's Group.spawn: make_greenlet(fn, args...), start() it, return it typed.
  template <class Fn, class... Args>
  auto spawn(Fn&& fn, Args&&... args) {
    auto greenlet = make_greenlet(std::forward<Fn>(fn), std::forward<Args>(args)...);
    start(greenlet);
    return greenlet;
  }

  // Waits until the group is empty (members added meanwhile included), for at most
  // `timeout` seconds; true if it is. With raise_error, then rethrows the first
  // failure (in membership order) among the greenlets that were members at the call.
  bool join(std::optional<double> timeout = {}, bool raise_error = false);
  // Throws GreenletExit (or `error`) into every member, once each, members added
  // meanwhile included. block: waits up to `timeout` for the group to be empty. If
  // the caller is a member, it is killed last, after the others were signalled.
  void kill(bool block = true, std::optional<double> timeout = {},
            std::exception_ptr error = nullptr);
  // Kills one member (see Greenlet::kill); does nothing for a non-member.
  void killone(Greenlet& greenlet, bool block = true, std::optional<double> timeout = {},
               std::exception_ptr error = nullptr);

  // fn(input) for every input, each in a member greenlet (a Pool bounds how many
  // run at once; the caller blocks spawning). Waits for all of them, then returns
  // the results in input order, or rethrows the first failure in input order.
  template <class Fn, class Range>
  auto map(const Fn& fn, Range&& inputs);

  // Like map, but lazy: returns an IMap whose next() yields results as they come.
  // A feeder greenlet spawns the workers. imap_unordered: in completion order; at
  // most `maxsize` finished results wait for the reader: then finishing workers
  // block (holding their pool slots), so the feeder blocks too. imap: in input
  // order; at most `maxsize` inputs are spawned and not yet read (gevent's bound).
  // maxsize empty or 0: unbounded.
  // The inputs are copied (pass a view to avoid it); the group must outlive the IMap.
  template <class Fn, class Range>
  auto imap_unordered(Fn fn, Range&& inputs, std::optional<std::size_t> maxsize = {});
  template <class Fn, class Range>
  auto imap(Fn fn, Range&& inputs, std::optional<std::size_t> maxsize = {});

 private:
  // One membership, one allocation: the link that discards it on death (tagged
  // with the group, so the greenlet's own list finds it) and the group's list.
  struct Member final : Greenlet::LinkNode {
    Member(Group& group, Greenlet::Ptr member);
    Greenlet::Ptr greenlet;
    Member* prev = nullptr;
    Member* next = nullptr;
  };
  static void on_member_death(Greenlet::LinkNode& node, Greenlet& dead, bool wanted);
  Member* member_of(const Greenlet& greenlet) const noexcept;
  // Takes a member off the group's list and frees it (its link is already off).
  void remove(Member& member) noexcept;
  // Member storage: a pool refills as fast as it drains, so up to kSpareMembers
  // freed ones are kept for the next add() instead of going back to malloc.
  static constexpr std::size_t kSpareMembers = 256;
  void* member_storage();
  void recycle(Member* member) noexcept;
  bool wait_empty(std::optional<double> deadline);
  template <class Fn, class Range>
  auto start_imap(Fn fn, Range&& inputs, std::optional<std::size_t> maxsize, bool ordered);

  Member* head_ = nullptr;  // in the order added
  Member* tail_ = nullptr;
  std::size_t size_ = 0;
  std::vector<void*> spare_members_;  // destroyed members' storage
  Event empty_;                       // set while there are no members
};

// The lazy result stream of Group::imap / imap_unordered. Move-only. Destroying it
// before the end kills its feeder and unfinished workers and waits for them to die
// (they unwind in one hub turn unless they catch GreenletExit), so the group may
// be destroyed right after. A kill or Timeout thrown into the destroying greenlet
// meanwhile is re-delivered at its next switch point instead of escaping.
template <class R>
class IMap {
 public:
  IMap(IMap&&) noexcept = default;
  IMap& operator=(IMap&&) = delete;
  ~IMap() {
    if (state_) stop();
  }

  // The next result, waiting up to `timeout` seconds for it (TimeoutError on
  // expiry); empty once every input was processed. A worker's failure is rethrown
  // in its place; iteration may continue after it. Killed workers yield nothing.
  std::optional<R> next(std::optional<double> timeout = {});

  // Range-for support: `for (R& result : pool.imap_unordered(fn, inputs))`.
  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    explicit iterator(IMap* owner) : owner_(owner) { ++*this; }
    R& operator*() const { return *current_; }
    iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return !it.current_; }

   private:
    IMap* owner_;
    mutable std::optional<R> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  friend class Group;
  struct Outcome {
    enum class Kind { value, error, skipped, end };
    explicit Outcome(Kind k, std::size_t i = 0, std::exception_ptr e = nullptr)
        : kind(k), index(i), error(std::move(e)) {}
    Kind kind;
    std::size_t index;
    std::optional<R> value;
    std::exception_ptr error;
  };
  struct State {
    explicit State(bool is_ordered, std::optional<std::size_t> maxsize) : ordered(is_ordered) {
      if (maxsize && *maxsize > 0) slots.emplace(*maxsize);
    }
    void finish_worker(std::size_t index) {
      if (undelivered.erase(index) > 0) results.put(Outcome(Outcome::Kind::skipped, index));
      --outstanding;
      end_if_done();
    }
    void end_if_done() {
      if (!feeding && outstanding == 0) results.put(Outcome(Outcome::Kind::end));
    }

    bool ordered;
    std::optional<Semaphore> slots;  // unordered: buffered results; ordered: window
    Queue<Outcome> results;          // bounded by `slots`, not by itself
    Group workers;
    std::unordered_set<std::size_t> undelivered;  // spawned, result not yet queued
    std::size_t outstanding = 0;                  // spawned workers not yet dead
    bool feeding = true;
    bool ended = false;
    std::size_t next_index = 0;              // ordered: the index next() returns
    std::map<std::size_t, Outcome> reorder;  // ordered: arrived ahead of turn
  };

  IMap(std::shared_ptr<State> state, Greenlet::Ptr feeder)
      : state_(std::move(state)), feeder_(std::move(feeder)) {}
  std::optional<R> take(Outcome& outcome);
  void stop() noexcept;

  std::shared_ptr<State> state_;
  Greenlet::Ptr feeder_;
};

// ---- templates ----

template <class Fn, class Range>
auto Group::map(const Fn& fn, Range&& inputs) {
  using Item = std::ranges::range_value_t<Range>;
  using Result = std::remove_cvref_t<std::invoke_result_t<const Fn&, const Item&>>;
  static_assert(!std::is_void_v<Result>, "green: map() needs a function that returns a value");
  std::vector<GreenletPtr<Result>> workers;
  for (auto&& input : inputs) {
    auto worker = make_greenlet([fn](const Item& item) -> Result { return fn(item); }, Item(input));
    start(worker);
    workers.push_back(std::move(worker));
  }
  for (const auto& worker : workers) worker->join();
  std::vector<Result> results;
  results.reserve(workers.size());
  for (const auto& worker : workers) results.push_back(worker->get());
  return results;
}

template <class Fn, class Range>
auto Group::imap_unordered(Fn fn, Range&& inputs, std::optional<std::size_t> maxsize) {
  return start_imap(std::move(fn), std::forward<Range>(inputs), maxsize, false);
}

template <class Fn, class Range>
auto Group::imap(Fn fn, Range&& inputs, std::optional<std::size_t> maxsize) {
  return start_imap(std::move(fn), std::forward<Range>(inputs), maxsize, true);
}

template <class Fn, class Range>
auto Group::start_imap(Fn fn, Range&& inputs, std::optional<std::size_t> maxsize, bool ordered) {
  using Item = std::ranges::range_value_t<Range>;
  using Result = std::remove_cvref_t<std::invoke_result_t<Fn&, const Item&>>;
  static_assert(!std::is_void_v<Result>, "green: imap() needs a function that returns a value");
  using Map = IMap<Result>;
  using Outcome = typename Map::Outcome;
  auto state = std::make_shared<typename Map::State>(ordered, maxsize);
  auto shared_fn = std::make_shared<Fn>(std::move(fn));

  // A worker computes, then queues its outcome (waiting for a buffer slot when
  // unordered and bounded). A worker that dies without queueing (killed) is
  // accounted for by its link, which also runs for one killed before it started.
  auto work = [state, shared_fn](std::size_t index, const Item& item) {
    Outcome outcome(Outcome::Kind::value, index);
    try {
      outcome.value.emplace((*shared_fn)(item));
    } catch (const GreenletExit&) {
      throw;
    } catch (...) {
      outcome.kind = Outcome::Kind::error;
      outcome.error = std::current_exception();
    }
    if (!state->ordered && state->slots) state->slots->acquire();
    state->undelivered.erase(index);
    state->results.put(std::move(outcome));
  };

  auto feed = [this, state, work, inputs = std::forward<Range>(inputs)]() mutable {
    std::size_t index = 0;
    try {
      for (auto&& input : inputs) {
        if (state->ordered && state->slots) state->slots->acquire();
        auto worker = make_greenlet(work, index, Item(input));
        start(worker);  // Pool: blocks until a slot is free
        ++state->outstanding;
        state->undelivered.insert(index);
        state->workers.add(worker);
        worker->link([state, index](Greenlet&) { state->finish_worker(index); });
        ++index;
      }
    } catch (const GreenletExit&) {
      state->feeding = false;
      state->end_if_done();
      throw;
    } catch (...) {
      // The input range itself failed: report it in the next position, then end.
      state->results.put(Outcome(Outcome::Kind::error, index, std::current_exception()));
    }
    state->feeding = false;
    state->end_if_done();
  };
  Greenlet::Ptr feeder = green::spawn(std::move(feed));
  return Map(std::move(state), std::move(feeder));
}

template <class R>
std::optional<R> IMap<R>::next(std::optional<double> timeout) {
  State& state = *state_;
  std::optional<double> deadline;
  if (timeout) deadline = Hub::current().now() + *timeout;
  for (;;) {
    if (state.ordered && !state.reorder.empty() &&
        state.reorder.begin()->first == state.next_index) {
      Outcome outcome = std::move(state.reorder.begin()->second);
      state.reorder.erase(state.reorder.begin());
      if (std::optional<R> result = take(outcome)) return result;
      continue;
    }
    if (state.ended) return std::nullopt;
    std::optional<double> left;
    if (deadline) left = std::max(0.0, *deadline - Hub::current().now());
    std::optional<Outcome> got;
    try {
      got.emplace(state.results.get(true, left));
    } catch (const Empty&) {
      throw TimeoutError(timeout.value_or(0), nullptr);
    }
    Outcome& outcome = *got;
    if (outcome.kind == Outcome::Kind::end) {
      state.ended = true;
      continue;
    }
    if (state.ordered) {
      state.reorder.emplace(outcome.index, std::move(outcome));
      continue;
    }
    if (outcome.kind == Outcome::Kind::skipped) continue;
    if (std::optional<R> result = take(outcome)) return result;
  }
}

template <class R>
void IMap<R>::stop() noexcept {
  Greenlet& self = getcurrent();
  std::vector<Greenlet::Ptr> alive = state_->workers.greenlets();
  if (feeder_) alive.push_back(feeder_);
  std::erase_if(alive, [&](const Greenlet::Ptr& g) { return g->dead() || g.get() == &self; });
  if (alive.empty()) return;
  Hub& hub = self.hub();
  try {
    killall(alive, false);
    if (!hub.in_hub()) joinall(alive);  // the hub cannot wait: they die on their turn
  } catch (...) {
    hub.throw_into(self, std::current_exception());
  }
}

// Consumes one outcome: frees its slot, returns its value or rethrows its error
// (empty for a skipped one).
template <class R>
std::optional<R> IMap<R>::take(Outcome& outcome) {
  State& state = *state_;
  if (state.ordered) {
    ++state.next_index;
    if (state.slots) state.slots->release();
  } else if (state.slots && outcome.kind != Outcome::Kind::skipped) {
    state.slots->release();
  }
  if (outcome.kind == Outcome::Kind::error) std::rethrow_exception(outcome.error);
  if (outcome.kind == Outcome::Kind::skipped) return std::nullopt;
  return std::move(outcome.value);
}

}  // namespace green
