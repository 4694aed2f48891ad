// exit_status(): the one mapping from a run's Outcome to the process status.
#include "cmd/exit_status.hpp"

namespace gfetch::cli {

ExitStatus exit_status(const Outcome& outcome) noexcept {
  if (!outcome.fatal.empty()) return kUsage;
  if (outcome.broken_pipe) return kOk;
  if (outcome.interrupted) return kInterrupted;
  if (outcome.failed > 0) return kFailed;
  return kOk;
}

}  // namespace gfetch::cli
