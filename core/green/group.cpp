// Group membership as intrusive link nodes (a member's death discards it), and
// join/kill as waits on the group's "empty" Event.
#include "green/group.hpp"

#include <new>

#include "green/hub.hpp"

namespace green {
namespace {

std::optional<double> deadline_after(std::optional<double> timeout) {
  if (!timeout) return std::nullopt;
  return Hub::current().now() + *timeout;
}

}  // namespace

Group::Member::Member(Group& group, Greenlet::Ptr member)
    : LinkNode(&Group::on_member_death, &group), greenlet(std::move(member)) {}

Group::~Group() {
  while (Member* member = head_) {
    member->greenlet->remove_link_node(*member);
    head_ = member->next;
    delete member;
  }
  for (void* storage : spare_members_) ::operator delete(storage, sizeof(Member));
}

void* Group::member_storage() {
  if (spare_members_.empty()) return ::operator new(sizeof(Member));
  void* storage = spare_members_.back();
  spare_members_.pop_back();
  return storage;
}

void Group::recycle(Member* member) noexcept {
  member->~Member();  // releases the greenlet: may run its destructor
  if (spare_members_.size() < kSpareMembers) {
    try {
      spare_members_.push_back(member);
      return;
    } catch (...) {  // no room to keep it: free it
    }
  }
  ::operator delete(member, sizeof(Member));
}

Group::Member* Group::member_of(const Greenlet& greenlet) const noexcept {
  return static_cast<Member*>(greenlet.find_link(this));
}

void Group::add(Greenlet::Ptr greenlet) {
  if (!greenlet || contains(*greenlet)) return;
  Greenlet& added = *greenlet;
  void* storage = member_storage();
  auto* member = new (storage) Member(*this, std::move(greenlet));
  member->prev = tail_;
  if (tail_ != nullptr) {
    tail_->next = member;
  } else {
    head_ = member;
  }
  tail_ = member;
  ++size_;
  empty_.clear();
  added.add_link_node(*member);  // last: on a dead greenlet it queues the discard
}

void Group::on_member_death(Greenlet::LinkNode& node, Greenlet&, bool) {
  auto& member = static_cast<Member&>(node);
  Group& group = *const_cast<Group*>(static_cast<const Group*>(member.owner));
  group.remove(member);
  group.on_removed();
}

void Group::discard(Greenlet& greenlet) {
  Member* member = member_of(greenlet);
  if (member == nullptr) return;
  greenlet.remove_link_node(*member);
  remove(*member);
  on_removed();
}

void Group::remove(Member& member) noexcept {
  if (member.prev != nullptr) {
    member.prev->next = member.next;
  } else {
    head_ = member.next;
  }
  if (member.next != nullptr) {
    member.next->prev = member.prev;
  } else {
    tail_ = member.prev;
  }
  --size_;
  recycle(&member);
  if (size_ == 0) empty_.set();
}

std::vector<Greenlet::Ptr> Group::greenlets() const {
  std::vector<Greenlet::Ptr> result;
  result.reserve(size_);
  for (const Member* member = head_; member != nullptr; member = member->next) {
    result.push_back(member->greenlet);
  }
  return result;
}

void Group::start(const Greenlet::Ptr& greenlet) {
  add(greenlet);
  greenlet->start();
}

bool Group::wait_empty(std::optional<double> deadline) {
  while (!empty()) {
    std::optional<double> left;
    if (deadline) {
      left = *deadline - Hub::current().now();
      if (*left <= 0) return false;
    }
    if (!empty_.wait(left)) return empty();
  }
  return true;
}

bool Group::join(std::optional<double> timeout, bool raise_error) {
  std::vector<Greenlet::Ptr> watched;
  if (raise_error) watched = greenlets();
  bool done = wait_empty(deadline_after(timeout));
  for (const Greenlet::Ptr& greenlet : watched) {
    if (greenlet->dead() && greenlet->exception()) std::rethrow_exception(greenlet->exception());
  }
  return done;
}

void Group::kill(bool block, std::optional<double> timeout, std::exception_ptr error) {
  if (!error) error = std::make_exception_ptr(GreenletExit{});
  std::optional<double> deadline = deadline_after(timeout);
  Greenlet* self = &getcurrent();
  std::unordered_set<Greenlet::Ptr> dying;  // holds them: no address reuse meanwhile
  for (;;) {
    bool self_is_member = false;
    for (const Greenlet::Ptr& member : greenlets()) {
      if (member.get() == self) {
        self_is_member = true;
      } else if (dying.insert(member).second) {
        member->kill(error, false);
      }
    }
    if (self_is_member) std::rethrow_exception(error);
    if (!block || empty()) return;
    if (!wait_empty(deadline)) return;
  }
}

void Group::killone(Greenlet& greenlet, bool block, std::optional<double> timeout,
                    std::exception_ptr error) {
  if (!contains(greenlet)) return;
  if (!error) error = std::make_exception_ptr(GreenletExit{});
  greenlet.kill(error, block, timeout);
}

}  // namespace green
