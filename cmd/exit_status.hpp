// The exit status of gfetch, decided here and nowhere else: 0 every URL got a
// response (and, with --fail, none was >= 400); 1 at least one failed; 2 usage or
// configuration error; 130 stopped by SIGINT/SIGQUIT. A closed stdout ends quietly
// with the status of what was done (never an error of its own).
#pragma once

#include "fetch/job.hpp"

namespace gfetch::cli {

enum ExitStatus : int { kOk = 0, kFailed = 1, kUsage = 2, kInterrupted = 130 };

ExitStatus exit_status(const Outcome& outcome) noexcept;

}  // namespace gfetch::cli
