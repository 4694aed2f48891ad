// SIGINT / SIGQUIT handling of a run (see interrupts.hpp), on green's
// signal_handler: each delivery runs a short greenlet on the hub that calls the
// job; the job's calls never block, so a delivery is handled at once.
#include "fetch/interrupts.hpp"

#include <csignal>

#include "fetch/job.hpp"
#include "green/signal.hpp"

namespace gfetch {

struct Interrupts::Handlers {
  green::SignalHandler interrupt;
  green::SignalHandler quit;
};

Interrupts::Interrupts(Job& job) : handlers_(std::make_unique<Handlers>()) {
  handlers_->interrupt = green::signal_handler(SIGINT, [&job] { job.interrupt(); });
  handlers_->quit = green::signal_handler(SIGQUIT, [&job] { job.cancel_now(); });
}

// The handles cancel themselves; the signals' previous dispositions come back.
Interrupts::~Interrupts() = default;

}  // namespace gfetch
