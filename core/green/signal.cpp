// signal_handler over a libevent signal event on the hub's event_base. libevent's
// own async-signal-safe handler only writes to a socketpair; our callback then runs
// on the hub, where it records the event and starts a greenlet: it never switches.
#include "green/signal.hpp"

#include <event2/event.h>
#include <signal.h>
#include <string.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "green/exceptions.hpp"
#include "green/greenlet.hpp"
#include "green/hub.hpp"

namespace green {

struct SignalHandler::State {
  Hub* hub = nullptr;
  int signum = 0;
  // Shared with the greenlets it started, so cancelling while one runs is safe.
  std::shared_ptr<const std::function<void()>> fn;
  std::string greenlet_name;
  event* watch = nullptr;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (watch != nullptr) event_free(watch);  // event_free deletes it first
  }
};

namespace {

std::string signal_name(int signum) {
  const char* abbrev = sigabbrev_np(signum);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signum);
}

}  // namespace

void SignalHandler::dispatch(int, short, void* arg) noexcept {
  auto* state = static_cast<State*>(arg);
  Hub& hub = *state->hub;
  hub.note_event();
  try {
    auto greenlet = make_greenlet([fn = state->fn] { (*fn)(); });
    greenlet->set_name(state->greenlet_name);
    greenlet->start();
  } catch (...) {
    hub.handle_error(hub.current_greenlet(), std::current_exception());
  }
}

SignalHandler::SignalHandler() noexcept = default;
SignalHandler::~SignalHandler() {
  cancel();
}
SignalHandler::SignalHandler(SignalHandler&& other) noexcept = default;

SignalHandler& SignalHandler::operator=(SignalHandler&& other) noexcept {
  if (this != &other) {
    cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}

void SignalHandler::cancel() noexcept {
  state_.reset();
}

int SignalHandler::signum() const noexcept {
  return state_ ? state_->signum : 0;
}

SignalHandler signal_handler(int signum, std::function<void()> fn) {
  if (signum <= 0 || signum >= NSIG || signum == SIGKILL || signum == SIGSTOP) {
    throw UsageError("green: signal_handler: signal " + std::to_string(signum) +
                     " cannot be caught");
  }
  if (!fn) throw UsageError("green: signal_handler: empty function");
  Hub& hub = Hub::current();
  auto state = std::make_unique<SignalHandler::State>();
  state->hub = &hub;
  state->signum = signum;
  state->fn = std::make_shared<const std::function<void()>>(std::move(fn));
  state->greenlet_name = "signal_handler(" + signal_name(signum) + ")";
  auto* base = static_cast<event_base*>(hub.native_loop());
  state->watch = evsignal_new(base, signum, &SignalHandler::dispatch, state.get());
  if (state->watch == nullptr || event_add(state->watch, nullptr) != 0) {
    throw std::runtime_error("green: signal_handler: cannot watch " + signal_name(signum));
  }
  SignalHandler handler;
  handler.state_ = std::move(state);
  return handler;
}

}  // namespace green
