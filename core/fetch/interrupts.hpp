// Interrupts: SIGINT and SIGQUIT turned into Job calls for the lifetime of a run.
// The first SIGINT asks the job to stop gracefully (Job::interrupt), a second one
// or SIGQUIT cancels everything now (Job::cancel_now). Handlers run on the hub
// through green's signal_handler, so they may touch the job directly.
#pragma once

#include <memory>

namespace gfetch {

class Job;

class Interrupts {
 public:
  // Installs the handlers on this thread's hub; the previous dispositions come back
  // when it is destroyed.
  explicit Interrupts(Job& job);
  ~Interrupts();
  Interrupts(const Interrupts&) = delete;
  Interrupts& operator=(const Interrupts&) = delete;

 private:
  struct Handlers;
  std::unique_ptr<Handlers> handlers_;
};

}  // namespace gfetch
