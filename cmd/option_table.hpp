// The option table: every gfetch option, once — names, value name, help, shell
// completion hint and how its value lands in Settings. Parsing (parse.cpp), --help,
// and the tests that hold the man page and the completions to it all read this.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fetch/options.hpp"
#include "fetch/write_out.hpp"

namespace gfetch::cli {

// Flags as given, before they are resolved against the terminal and each other.
struct Settings {
  Options options;
  std::vector<std::string> urls;  // positional arguments
  bool json = false;
  bool csv = false;
  std::shared_ptr<const WriteOut> write_out;
  std::optional<bool> colour;    // --color / --no-color
  std::optional<bool> progress;  // --progress / --no-progress
  bool quiet = false;
  bool no_summary = false;
  bool help = false;
  bool version = false;
};

enum class Complete { none, file, directory, choice };

struct OptionSpec {
  std::string_view names;  // CLI11 form: "-p,--pool" or "--dedupe"
  std::string_view value;  // value name ("N", "SEC"); empty for a flag
  std::string_view help;
  Complete complete = Complete::none;
  std::string_view choices;  // Complete::choice: space-separated words
  bool repeatable = false;   // every use counts (-H, -i, --resolve); else the last wins
  // Applies one use (a flag's value is ""). Returns "" or why the value is bad.
  std::string (*apply)(Settings& settings, const std::string& value) = nullptr;

  // "--pool" (the long name), "-p" ("" when none).
  std::string_view long_name() const;
  std::string_view short_name() const;
};

std::span<const OptionSpec> option_table() noexcept;

}  // namespace gfetch::cli
