// Queues between greenlets (gevent.queue): Queue (FIFO), LifoQueue, PriorityQueue,
// all one BasicQueue over an ordering policy, optionally bounded, with gevent's
// task_done()/join(); and Channel, a rendezvous with no buffer. Items go straight to
// the longest-waiting getter (FIFO), so runs are deterministic.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "green/event.hpp"
#include "green/exceptions.hpp"
#include "green/waiter.hpp"

namespace green {

// ---- Ordering policies: push(item), front(), pop() (removes front()), size(), and
// ---- unget(item): put back an item pop() returned, so that it is front() again.
// ---- Items are moved in once (rvalue parameters).

template <class T>
class FifoOrder {
 public:
  void push(T&& item) { items_.push_back(std::move(item)); }
  const T& front() const { return items_.front(); }
  T pop() {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  void unget(T&& item) { items_.push_front(std::move(item)); }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::deque<T> items_;
};

template <class T>
class LifoOrder {
 public:
  void push(T&& item) { items_.push_back(std::move(item)); }
  const T& front() const { return items_.back(); }
  T pop() {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }
  void unget(T&& item) { items_.push_back(std::move(item)); }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::vector<T> items_;
};

// Smallest first under `Compare` (gevent/heapq order: std::less gives the lowest
// priority value first). Equal items come out in insertion order.
template <class T, class Compare = std::less<T>>
class PriorityOrder {
 public:
  explicit PriorityOrder(Compare compare = Compare()) : compare_(std::move(compare)) {}
  void push(T&& item) { push_entry(Entry{std::move(item), next_back_++}); }
  const T& front() const { return heap_.front().item; }
  T pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later());
    T item = std::move(heap_.back().item);
    heap_.pop_back();
    return item;
  }
  // Sorts before every equal item, as it did when it was popped.
  void unget(T&& item) { push_entry(Entry{std::move(item), next_front_--}); }
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  struct Entry {
    T item;
    std::int64_t sequence;
  };
  // The heap's "less": a comes out after b.
  auto later() const {
    return [this](const Entry& a, const Entry& b) {
      if (compare_(b.item, a.item)) return true;
      if (compare_(a.item, b.item)) return false;
      return a.sequence > b.sequence;
    };
  }
  void push_entry(Entry&& entry) {
    heap_.push_back(std::move(entry));
    std::push_heap(heap_.begin(), heap_.end(), later());
  }

  Compare compare_;
  std::vector<Entry> heap_;
  std::int64_t next_back_ = 0;
  std::int64_t next_front_ = -1;
};

// A queue of T in the order of `Order`, bounded by maxsize (0: unbounded).
// Blocking calls take an optional timeout in seconds and raise Empty/Full on expiry
// (gevent's semantics); a kill or Timeout while blocked leaves the queue consistent.
template <class T, class Order>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize = 0, Order order = Order())
      : items_(std::move(order)), maxsize_(maxsize) {
    finished_.set();
  }
  // No greenlet may still be waiting on it.
  ~BasicQueue() {
    assert(getters_.empty() && putters_.empty() && "green queue destroyed with waiters");
  }
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  std::size_t qsize() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.size() == 0; }
  bool full() const noexcept { return maxsize_ > 0 && items_.size() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }

  // Adds an item. When full: block=false throws Full at once; otherwise waits up
  // to `timeout` seconds for room (Full on expiry; the item is left as it was). If
  // the putter is killed after room was made for it, the item is in the queue. An
  // rvalue is moved once, into the queue (a blocked putter's item waits where it
  // is); an lvalue is copied first.
  void put(T&& item, bool block = true, std::optional<double> timeout = {}) {
    if (!full()) {
      push(std::move(item));
      dispatch();
      return;
    }
    if (!block) throw Full();
    PutNode node{Waiter(), &item};
    putters_.push_back(&node);
    if (!wait_on(node.waiter, putters_, &node, timeout)) throw Full();
  }
  void put(const T& item, bool block = true, std::optional<double> timeout = {}) {
    T copy(item);
    put(std::move(copy), block, timeout);
  }
  void put(T, double) = delete;  // put(item, seconds) would mean block=true
  void put_nowait(T item) { put(std::move(item), false); }

  // Removes and returns the front item. When empty: block=false throws Empty at
  // once; otherwise waits up to `timeout` seconds (Empty on expiry). An item handed
  // to a getter that unwinds before it runs goes back to the front of the queue.
  T get(bool block = true, std::optional<double> timeout = {}) {
    if (!empty()) return take_front();
    if (!block) throw Empty();
    GetNode node{Waiter(), false, std::nullopt};
    getters_.push_back(&node);
    try {
      if (!wait_on(node.waiter, getters_, &node, timeout)) throw Empty();
    } catch (...) {
      if (node.item) {
        items_.unget(std::move(*node.item));
        dispatch();
      }
      throw;
    }
    return std::move(*node.item);
  }
  T get(double) = delete;
  T get_nowait() { return get(false); }

  // Like get() but leaves the item in the queue (returns a copy).
  T peek(bool block = true, std::optional<double> timeout = {}) {
    if (!empty()) return items_.front();
    if (!block) throw Empty();
    GetNode node{Waiter(), true, std::nullopt};
    getters_.push_back(&node);
    if (!wait_on(node.waiter, getters_, &node, timeout)) throw Empty();
    return std::move(*node.item);
  }
  T peek(double) = delete;
  T peek_nowait() { return peek(false); }

  // gevent's JoinableQueue: every put() counts a task, task_done() finishes one
  // (UsageError if none is unfinished), join() waits until none is unfinished.
  void task_done() {
    if (unfinished_ == 0) throw UsageError("green: task_done() called more times than put()");
    if (--unfinished_ == 0) finished_.set();
  }
  bool join(std::optional<double> timeout = {}) { return finished_.wait(timeout); }
  std::size_t unfinished_tasks() const noexcept { return unfinished_; }

 private:
  struct GetNode {
    Waiter waiter;
    bool peek;
    std::optional<T> item;  // set when an item (a copy, for peek) was handed over
  };
  struct PutNode {
    Waiter waiter;
    T* item;  // the blocked putter's
  };

  // The front item, moved out once (one return of one variable: no second move).
  T take_front() {
    T item = items_.pop();
    dispatch();
    return item;
  }

  void push(T&& item) {
    items_.push(std::move(item));
    ++unfinished_;
    finished_.clear();
  }

  // Parks on `waiter`, queued as `node` in `list`. true: woken (served); false:
  // timed out. Either way, or unwinding, the node is no longer in `list`.
  template <class Node>
  static bool wait_on(Waiter& waiter, std::deque<Node*>& list, Node* node,
                      std::optional<double> timeout) {
    bool woken = false;
    try {
      woken = waiter.wait(timeout);
    } catch (...) {
      if (!waiter.woken()) std::erase(list, node);
      throw;
    }
    if (!woken) std::erase(list, node);
    return woken;
  }

  // Serves waiters until neither can progress: queued items go to waiting getters
  // (peekers get a copy of the front and take nothing), waiting putters' items fill
  // the room. A waiter whose timeout already fired is skipped; it cleans up itself.
  void dispatch() {
    for (;;) {
      while (!empty() && !getters_.empty()) {
        GetNode* node = getters_.front();
        getters_.pop_front();
        if (!node->waiter.waiting()) continue;
        if constexpr (std::is_copy_constructible_v<T>) {
          if (node->peek) {
            node->item.emplace(items_.front());
            node->waiter.wake();
            continue;
          }
        }
        node->item.emplace(items_.pop());
        node->waiter.wake();
      }
      if (putters_.empty() || full()) return;
      while (!putters_.empty() && !full()) {
        PutNode* node = putters_.front();
        putters_.pop_front();
        if (!node->waiter.waiting()) continue;
        push(std::move(*node->item));
        node->waiter.wake();
      }
    }
  }

  Order items_;
  std::size_t maxsize_;
  std::deque<GetNode*> getters_;
  std::deque<PutNode*> putters_;
  std::size_t unfinished_ = 0;
  Event finished_;
};

template <class T>
using Queue = BasicQueue<T, FifoOrder<T>>;
template <class T>
using LifoQueue = BasicQueue<T, LifoOrder<T>>;
template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, PriorityOrder<T, Compare>>;

// A rendezvous (gevent.queue.Channel): put() blocks until a getter takes the item,
// get() until a putter offers one. Both serve the longest waiter first and raise
// Full/Empty on nowait or timeout.
template <class T>
class Channel {
 public:
  Channel() = default;
  // No greenlet may still be waiting on it.
  ~Channel() {
    assert(getters_.empty() && putters_.empty() && "green::Channel destroyed with waiters");
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Hands the item to a waiting getter, or waits up to `timeout` seconds for one
  // (Full on expiry or with block=false and no getter waiting). Returns once a
  // getter has taken it.
  void put(T item, bool block = true, std::optional<double> timeout = {}) {
    if (offer(item)) return;
    if (!block) throw Full();
    PutNode node{Waiter(), std::move(item)};
    putters_.push_back(&node);
    bool taken = false;
    try {
      taken = node.waiter.wait(timeout);
    } catch (...) {
      if (!node.waiter.woken()) std::erase(putters_, &node);
      throw;  // woken: a getter took the item, the put is done
    }
    if (!taken) {
      std::erase(putters_, &node);
      throw Full();
    }
  }
  void put(T, double) = delete;
  void put_nowait(T item) { put(std::move(item), false); }

  // Takes an item from a waiting putter, or waits up to `timeout` seconds for one
  // (Empty on expiry or with block=false and no putter waiting).
  T get(bool block = true, std::optional<double> timeout = {}) {
    if (!returned_.empty()) {
      T item = std::move(returned_.front());
      returned_.pop_front();
      return item;
    }
    while (!putters_.empty()) {
      PutNode* node = putters_.front();
      putters_.pop_front();
      if (!node->waiter.waiting()) continue;
      T item = std::move(node->item);
      node->waiter.wake();
      return item;
    }
    if (!block) throw Empty();
    GetNode node{Waiter(), std::nullopt};
    getters_.push_back(&node);
    bool served = false;
    try {
      served = node.waiter.wait(timeout);
    } catch (...) {
      if (!node.waiter.woken()) {
        std::erase(getters_, &node);
      } else if (!offer(*node.item)) {
        // Handed an item but unwinding before it ran: its putter has returned, so
        // the channel keeps it for the next getter rather than lose it.
        returned_.push_front(std::move(*node.item));
      }
      throw;
    }
    if (!served) {
      std::erase(getters_, &node);
      throw Empty();
    }
    return std::move(*node.item);
  }
  T get(double) = delete;
  T get_nowait() { return get(false); }

  // Waiting putters minus waiting getters (gevent's balance).
  std::ptrdiff_t balance() const noexcept {
    return static_cast<std::ptrdiff_t>(putters_.size()) -
           static_cast<std::ptrdiff_t>(getters_.size());
  }

 private:
  struct GetNode {
    Waiter waiter;
    std::optional<T> item;
  };
  struct PutNode {
    Waiter waiter;
    T item;
  };

  // Moves `item` to the first live waiting getter; false (item untouched) if none.
  bool offer(T& item) {
    while (!getters_.empty()) {
      GetNode* node = getters_.front();
      getters_.pop_front();
      if (!node->waiter.waiting()) continue;
      node->item.emplace(std::move(item));
      node->waiter.wake();
      return true;
    }
    return false;
  }

  std::deque<GetNode*> getters_;
  std::deque<PutNode*> putters_;
  std::deque<T> returned_;  // items of getters that unwound after being served
};

}  // namespace green
