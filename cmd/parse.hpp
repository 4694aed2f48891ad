// Command-line parsing: CLI11 over the option table, then resolution of the flags
// against the environment (terminals, NO_COLOR) into fetch::Options. Every bad
// flag is reported, not just the first; any error means nothing is fetched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fetch/options.hpp"

namespace gfetch::cli {

// What parsing needs to know about the process, so tests can vary it.
struct Environment {
  bool stdin_tty = false;
  bool stdout_tty = false;
  bool stderr_tty = false;
  bool no_color = false;  // NO_COLOR is set and not empty
};

Environment detect_environment();

struct Command {
  enum class Action { run, help, version, usage_error };
  Action action = Action::usage_error;
  Options options;                  // Action::run
  std::vector<std::string> errors;  // Action::usage_error: one line each
  std::string text;                 // Action::help / version: what to print
};

Command parse_command_line(int argc, const char* const* argv, const Environment& environment);

// "gfetch 0.1.0".
std::string version_text();

}  // namespace gfetch::cli
