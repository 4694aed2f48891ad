// Group membership through links (a member's death discards it), and join/kill as
// waits on the group's "empty" Event.
#include "green/group.hpp"

#include "green/hub.hpp"

namespace green {
namespace {

std::optional<double> deadline_after(std::optional<double> timeout) {
  if (!timeout) return std::nullopt;
  return Hub::current().now() + *timeout;
}

}  // namespace

Group::~Group() {
  for (Member& member : members_) member.greenlet->unlink(member.link);
}

void Group::add(Greenlet::Ptr greenlet) {
  if (!greenlet || contains(*greenlet)) return;
  Greenlet& added = *greenlet;
  auto position = members_.insert(members_.end(), Member{std::move(greenlet), 0});
  index_.emplace(&added, position);
  position->link = added.link([this](Greenlet& dead) { discard(dead); });
  empty_.clear();
}

void Group::discard(Greenlet& greenlet) {
  auto found = index_.find(&greenlet);
  if (found == index_.end()) return;
  greenlet.unlink(found->second->link);
  members_.erase(found->second);
  index_.erase(found);
  if (members_.empty()) empty_.set();
}

std::vector<Greenlet::Ptr> Group::greenlets() const {
  std::vector<Greenlet::Ptr> result;
  result.reserve(members_.size());
  for (const Member& member : members_) result.push_back(member.greenlet);
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
