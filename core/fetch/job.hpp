// Job: one gfetch run. A reader greenlet streams URLs into a bounded queue; up to
// --pool worker greenlets take them in turn, each admitting a URL (numbering it)
// and fetching it (per-host and rate limits inside each fetch); every URL read gets
// exactly one Result in the Report, even when the run is stopped early (deadline,
// Ctrl-C: the ones read but not started are "cancelled" too), and a closed stdout
// ends the run quietly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fetch/options.hpp"

namespace gfetch {

// How the run ended: the input for the exit status (decided by the CLI, in one place).
struct Outcome {
  std::uint64_t results = 0;  // result records produced (one per URL read)
  std::uint64_t failed = 0;   // results that count as failures
  std::uint64_t workers = 0;  // fetch workers started: at most --pool, as the input needed
  bool interrupted = false;   // SIGINT or SIGQUIT stopped it
  bool broken_pipe = false;   // stdout's reader went away; the run ended quietly
  bool deadline = false;      // --deadline cancelled it
  std::string fatal;  // an error of the run itself: an unreadable -i file, -o DIR, a failed stdout
};

class Job {
 public:
  explicit Job(Options options);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // Runs to the end on this thread's hub and returns how it ended. Once only.
  // Everything is written when it returns; the run's state (the client and its
  // idle connections, the fetch greenlets' memory) is freed by ~Job, which a
  // process about to exit may skip.
  Outcome run();

  // Ctrl-C: the first call stops admitting URLs and gives fetches in flight
  // --grace seconds before cancelling them; a second call cancels at once. From
  // greenlets or hub callbacks of the job's hub, while run() runs.
  void interrupt();
  // SIGQUIT, a second Ctrl-C: stop admitting and cancel everything now.
  void cancel_now();

 private:
  class Run;
  Options options_;
  std::unique_ptr<Run> state_;  // the run, kept until ~Job
  Run* run_ = nullptr;          // the run in progress
};

}  // namespace gfetch
