// Parsing the command line with CLI11 over the option table (see parse.hpp).
// CLI11 only splits the arguments: every value is collected as text and checked
// by the table's apply(), so all bad values are reported together.
#include "cmd/parse.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string_view>

#include "cmd/option_table.hpp"

#ifndef GFETCH_VERSION
#define GFETCH_VERSION "0"
#endif

namespace gfetch::cli {
namespace {

constexpr const char* kDescription =
    "gfetch: fetch many URLs at once and report, one line per URL, what came back.";
constexpr const char* kFooter =
    "URLs come from the arguments, from -i FILE, or from standard input when neither is\n"
    "given. Output: TSV (url status bytes seconds error) when stdout is not a terminal, an\n"
    "aligned table when it is; --json, --csv or -w TEMPLATE for more. Exit status: 0 all\n"
    "fetched, 1 some failed, 2 usage error, 130 interrupted. See gfetch(1).";

// Settles what depends on several flags or on the environment.
void resolve(Settings& settings, const Environment& environment, std::vector<std::string>& errors) {
  Options& options = settings.options;
  int formats = int(settings.json) + int(settings.csv) + int(settings.write_out != nullptr);
  if (formats > 1) errors.push_back("--json, --csv and --write-out cannot be combined");
  FormatOptions& format = options.output.format;
  if (settings.json) {
    format.format = Format::json;
  } else if (settings.csv) {
    format.format = Format::csv;
  } else if (settings.write_out) {
    format.format = Format::write_out;
    format.write_out = settings.write_out;
  } else {
    format.format = environment.stdout_tty ? Format::human : Format::tsv;
  }
  format.colour = settings.colour.value_or(environment.stdout_tty && !environment.no_color);

  options.input.urls = settings.urls;
  if (options.input.urls.empty() && options.input.files.empty()) {
    if (environment.stdin_tty) {
      errors.push_back("no URLs: give them as arguments, with -i FILE, or on standard input");
    } else {
      options.input.files.push_back("-");
    }
  }
  if (options.http.data && options.http.method == "GET") options.http.method = "POST";

  options.output.quiet = settings.quiet;
  options.output.progress = !settings.quiet && settings.progress.value_or(environment.stderr_tty);
  options.output.summary = !settings.quiet && !settings.no_summary;
}

// The table entry named `name` ("--pool" or "-p"), or null.
const OptionSpec* find_spec(std::span<const OptionSpec> table, std::string_view name) {
  for (const OptionSpec& spec : table) {
    if (spec.long_name() == name || spec.short_name() == name) return &spec;
  }
  return nullptr;
}

// CLI11 takes the argument after an option as its value whatever it looks like, and
// stops parsing with a single error when there is none: that can only be the last
// argument. Finds it (walking argv as CLI11 does, short clusters included), so the
// caller reports it and parses the rest, reporting every other bad flag too.
std::optional<int> missing_value_at(int argc, const char* const* argv,
                                    std::span<const OptionSpec> table) {
  auto takes_value = [](const OptionSpec* spec) { return spec && !spec->value.empty(); };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return std::nullopt;  // the rest is positional
    if (arg.size() > 2 && arg.substr(0, 2) == "--" && arg[2] != '-') {
      std::size_t equals = arg.find('=');
      bool has_value = equals != std::string_view::npos && equals + 1 < arg.size();
      if (!has_value && takes_value(find_spec(table, arg.substr(0, equals)))) {
        if (i + 1 == argc) return i;
        ++i;  // its value
      }
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-' || (arg[1] >= '0' && arg[1] <= '9')) {
      continue;  // a positional argument (or a negative number)
    }
    for (std::size_t j = 1; j < arg.size(); ++j) {  // -kx URL, -xURL, -qt 5
      const OptionSpec* spec = find_spec(table, std::string{'-', arg[j]});
      if (!spec) break;  // unknown: CLI11 drops the rest of the cluster
      if (!takes_value(spec)) continue;
      if (j + 1 == arg.size()) {
        if (i + 1 == argc) return i;
        ++i;
      }
      break;
    }
  }
  return std::nullopt;
}

}  // namespace

Environment detect_environment() {
  Environment environment;
  environment.stdin_tty = ::isatty(STDIN_FILENO) == 1;
  environment.stdout_tty = ::isatty(STDOUT_FILENO) == 1;
  environment.stderr_tty = ::isatty(STDERR_FILENO) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  environment.no_color = no_color != nullptr && *no_color != '\0';
  return environment;
}

std::string version_text() {
  return std::string("gfetch ") + GFETCH_VERSION;
}

Command parse_command_line(int argc, const char* const* argv, const Environment& environment) {
  std::span<const OptionSpec> table = option_table();
  CLI::App app(kDescription, "gfetch");
  app.set_help_flag();  // -h/--help is in the table
  app.allow_extras();   // unknown options are collected and reported with the rest
  app.footer(kFooter);
  app.get_formatter()->column_width(34);

  Settings settings;
  settings.options.http.user_agent = std::string("gfetch/") + GFETCH_VERSION;
  std::vector<std::vector<std::string>> values(table.size());
  std::deque<std::int64_t> counts(table.size(), 0);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const OptionSpec& spec = table[i];
    if (spec.value.empty()) {
      app.add_flag(std::string(spec.names), counts[i], std::string(spec.help));
    } else {
      app.add_option(std::string(spec.names), values[i], std::string(spec.help))
          ->type_name(std::string(spec.value))
          ->type_size(1)
          ->expected(1)
          ->allow_extra_args(false)
          ->multi_option_policy(spec.repeatable ? CLI::MultiOptionPolicy::TakeAll
                                                : CLI::MultiOptionPolicy::TakeLast);
    }
  }
  app.add_option("URL", settings.urls, "URLs to fetch (http:// is assumed without a scheme)");

  Command command;
  std::vector<const char*> arguments(argv, argv + argc);
  std::string cluster;  // storage for a shortened last argument
  if (std::optional<int> missing = missing_value_at(argc, argv, table)) {
    std::string_view arg = argv[*missing];
    const OptionSpec* spec =
        arg.substr(0, 2) == "--"
            ? find_spec(table, arg.substr(0, arg.find('=')))
            : find_spec(table, std::string{'-', arg.back()});  // the cluster's last letter
    command.errors.push_back(std::string(spec->long_name()) + ": missing value (" +
                             std::string(spec->value) + ")");
    arguments.pop_back();  // always the last argument
    if (arg.substr(0, 2) != "--" && arg.size() > 2) {
      // "-kx": keep the flags before the option that lacks its value.
      cluster = std::string(arg.substr(0, arg.size() - 1));
      arguments.push_back(cluster.c_str());
    }
  }
  try {
    app.parse(static_cast<int>(arguments.size()), arguments.data());
  } catch (const CLI::ParseError& error) {
    command.errors.push_back(error.what());
    return command;
  }
  for (const std::string& extra : app.remaining()) {
    if (extra == "--") continue;  // CLI11 keeps the end-of-options mark among the extras
    command.errors.push_back("unknown option '" + extra + "'");
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    const OptionSpec& spec = table[i];
    std::string name(spec.long_name());
    if (spec.value.empty()) {
      if (counts[i] > 0) spec.apply(settings, "");
      continue;
    }
    for (const std::string& value : values[i]) {
      std::string why = spec.apply(settings, value);
      if (!why.empty()) {
        command.errors.push_back(name + ": invalid value '" + value + "': " + why);
      }
    }
  }
  if (settings.help) {
    command.action = Command::Action::help;
    command.text = app.help();
    return command;
  }
  if (settings.version) {
    command.action = Command::Action::version;
    command.text = version_text() + "\n";
    return command;
  }
  resolve(settings, environment, command.errors);
  if (command.errors.empty()) {
    command.action = Command::Action::run;
    command.options = std::move(settings.options);
  }
  return command;
}

}  // namespace gfetch::cli
