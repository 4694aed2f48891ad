// gfetch: fetch many URLs at once, one result line per URL. main() is the list of
// steps; everything else lives in cmd/ (parsing, exit status) and core/fetch (the job).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "cmd/exit_status.hpp"
#include "cmd/open_files.hpp"
#include "cmd/parse.hpp"
#include "fetch/job.hpp"

namespace {

int usage_error(const gfetch::cli::Command& command) {
  for (const std::string& error : command.errors)
    std::fprintf(stderr, "gfetch: %s\n", error.c_str());
  std::fprintf(stderr, "Try 'gfetch --help' for more information.\n");
  return gfetch::cli::kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // 1. Parse the command line into Options (every bad flag reported, nothing fetched).
  gfetch::cli::Command command =
      gfetch::cli::parse_command_line(argc, argv, gfetch::cli::detect_environment());
  switch (command.action) {
    case gfetch::cli::Command::Action::usage_error:
      return usage_error(command);
    case gfetch::cli::Command::Action::help:
    case gfetch::cli::Command::Action::version:
      std::fputs(command.text.c_str(), stdout);
      return gfetch::cli::kOk;
    case gfetch::cli::Command::Action::run:
      break;
  }
  // 2. Make room for the pool's sockets: raise the open-file limit, or lower --pool.
  if (std::optional<std::string> warning = gfetch::cli::fit_open_file_limit(command.options)) {
    std::fprintf(stderr, "gfetch: %s\n", warning->c_str());
  }
  // 3. Build the job and run it.
  gfetch::Job job(std::move(command.options));
  gfetch::Outcome outcome = job.run();
  // 4. Map how it ended to the exit status.
  if (!outcome.fatal.empty()) std::fprintf(stderr, "gfetch: %s\n", outcome.fatal.c_str());
  const int status = gfetch::cli::exit_status(outcome);
#if !defined(GREEN_SANITIZE_ADDRESS)
  // 5. Leave without tearing the job down: every result, the summary and every
  // file are written; what ~Job would do is free memory and close idle connections,
  // which the kernel does at exit anyway. At 5,000 transfers that is ~50k frees and
  // curl handle cleanups on the way out (bench (c)). Sanitizer builds tear down, so
  // leak checks still cover the whole run.
  std::fflush(nullptr);
  std::_Exit(status);
#else
  return status;
#endif
}
