// Command-line parsing: every option of the table with a good value (and where it
// lands in Options), every checked option with a bad value (the message names the
// flag and the value), all errors of a line reported together, resolution against
// the terminal and NO_COLOR.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cmd/option_table.hpp"
#include "cmd/parse.hpp"

using gfetch::Format;
using gfetch::cli::Command;
using gfetch::cli::Environment;

namespace {

Command parse(std::vector<std::string> args,
              Environment environment = {true, false, false, false}) {
  args.insert(args.begin(), "gfetch");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return gfetch::cli::parse_command_line(static_cast<int>(argv.size()), argv.data(), environment);
}

std::string joined(const Command& command) {
  std::string out;
  for (const std::string& error : command.errors) out += error + "\n";
  return out;
}

// A good and a bad value for every option that takes one ("" bad: any text goes).
const std::map<std::string, std::pair<std::string, std::string>> kValues = {
    {"--input", {"/dev/null", "/nonexistent/file"}},
    {"--pool", {"7", "0"}},
    {"--per-host", {"3", "-1"}},
    {"--rate", {"10/m", "fast"}},
    {"--timeout", {"0.5", "0"}},
    {"--connect-timeout", {"2", "-3"}},
    {"--dns-timeout", {"1.5", "x"}},
    {"--stall-timeout", {"4", "1e999"}},
    {"--deadline", {"60", "soon"}},
    {"--retries", {"3", "many"}},
    {"--retry-delay", {"0.25", "-1"}},
    {"--retry-max-delay", {"9", "nine"}},
    {"--request", {"PUT", "NOT A METHOD"}},
    {"--header", {"X-Test: 1", "no colon"}},
    {"--user-agent", {"agent/1", "two\nlines"}},
    {"--data", {"a=1", "@/nonexistent/body"}},
    {"--max-redirs", {"2", "-2"}},
    {"--cacert", {"/dev/null", "/nonexistent/ca.pem"}},
    {"--proxy", {"http://proxy:3128", ""}},
    {"--resolve", {"example.com:443:127.0.0.1", "example.com:127.0.0.1"}},
    {"--dns-servers", {"127.0.0.1:5353,::1", "dns.example"}},
    {"--max-filesize", {"10M", "ten"}},
    {"--write-out", {"%{url}\\n", "%{nope}"}},
    {"--output-dir", {"/tmp/gfetch-parse-test", "/dev/null"}},
    {"--grace", {"0", "-1"}},
};

}  // namespace

TEST_CASE("every value option has a good and a bad value in this test") {
  for (const gfetch::cli::OptionSpec& spec : gfetch::cli::option_table()) {
    if (spec.value.empty()) continue;
    INFO(spec.long_name());
    CHECK(kValues.count(std::string(spec.long_name())) == 1);
  }
}

TEST_CASE("every option parses with a good value, by long and by short name") {
  for (const gfetch::cli::OptionSpec& spec : gfetch::cli::option_table()) {
    std::string name(spec.long_name());
    if (name == "--help" || name == "--version") continue;
    for (std::string flag : {name, std::string(spec.short_name())}) {
      if (flag.empty()) continue;
      std::vector<std::string> args{flag};
      if (!spec.value.empty()) args.push_back(kValues.at(name).first);
      if (name == "--json" || name == "--csv") args.push_back("--no-progress");
      args.push_back("http://example.com/");
      Command command = parse(args);
      INFO(flag << " -> " << joined(command));
      CHECK(command.action == Command::Action::run);
    }
  }
}

TEST_CASE("every checked option rejects a bad value, naming flag and value") {
  for (const auto& [name, values] : kValues) {
    if (values.second.empty()) continue;
    Command command = parse({name, values.second, "http://example.com/"});
    INFO(name << " " << values.second);
    CHECK(command.action == Command::Action::usage_error);
    REQUIRE(command.errors.size() == 1);
    CHECK(command.errors[0].find(name) != std::string::npos);
    CHECK(command.errors[0].find("'" + values.second + "'") != std::string::npos);
  }
}

TEST_CASE("values land in Options") {
  Command command = parse({"-p",
                           "7",
                           "--per-host",
                           "3",
                           "--rate",
                           "120/m",
                           "-t",
                           "0.5",
                           "--connect-timeout",
                           "2",
                           "--dns-timeout",
                           "1.5",
                           "--stall-timeout",
                           "4",
                           "--deadline",
                           "60",
                           "--retries",
                           "3",
                           "--retry-delay",
                           "0.25",
                           "--retry-max-delay",
                           "9",
                           "-X",
                           "PUT",
                           "-H",
                           "X-A: 1",
                           "-H",
                           "X-B: 2",
                           "-A",
                           "agent/1",
                           "-d",
                           "a=1",
                           "--no-location",
                           "--max-redirs",
                           "2",
                           "-k",
                           "--cacert",
                           "/dev/null",
                           "-x",
                           "http://p:1",
                           "--http1.1",
                           "--compressed",
                           "--resolve",
                           "h:80:127.0.0.1",
                           "--dns-servers",
                           "127.0.0.1,::1",
                           "--max-filesize",
                           "64k",
                           "--fail",
                           "--keep-order",
                           "--dedupe",
                           "--grace",
                           "2",
                           "-i",
                           "/dev/null",
                           "-i",
                           "-",
                           "u1",
                           "u2"});
  REQUIRE(command.action == Command::Action::run);
  const gfetch::Options& o = command.options;
  CHECK(o.pool == 7);
  CHECK(o.per_host == 3);
  CHECK(*o.rate == Approx(2.0));
  CHECK(o.timing.timeout == 0.5);
  CHECK(o.timing.connect_timeout == 2);
  CHECK(*o.timing.dns_timeout == 1.5);
  CHECK(*o.timing.stall_timeout == 4);
  CHECK(*o.timing.deadline == 60);
  CHECK(o.timing.retries == 3);
  CHECK(o.timing.retry_delay == 0.25);
  CHECK(o.timing.retry_max_delay == 9);
  CHECK(o.timing.grace == 2);
  CHECK(o.http.method == "PUT");
  CHECK(o.http.headers == std::vector<std::string>{"X-A: 1", "X-B: 2"});
  CHECK(o.http.user_agent == "agent/1");
  CHECK(*o.http.data == "a=1");
  CHECK_FALSE(o.http.follow);
  CHECK(o.http.max_redirects == 2);
  CHECK(o.http.insecure);
  CHECK(o.http.ca_file == "/dev/null");
  CHECK(*o.http.proxy == "http://p:1");
  CHECK(o.http.version == gfetch::HttpVersionChoice::http1_1);
  CHECK(o.http.compressed);
  CHECK(o.http.resolve == std::vector<std::string>{"h:80:127.0.0.1"});
  CHECK(o.http.dns_servers == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(*o.http.max_filesize == 65536);
  CHECK(o.http.fail);
  CHECK(o.output.keep_order);
  CHECK(o.input.dedupe);
  CHECK(o.input.files == std::vector<std::string>{"/dev/null", "-"});
  CHECK(o.input.urls == std::vector<std::string>{"u1", "u2"});
}

TEST_CASE("every bad flag of a command line is reported, not just the first") {
  Command command = parse({"--pool", "x", "--bogus", "--rate", "0", "-w", "%{nope}", "--json",
                           "--csv", "-t", "-1", "http://example.com/"});
  CHECK(command.action == Command::Action::usage_error);
  std::string errors = joined(command);
  CHECK(errors.find("--pool: invalid value 'x'") != std::string::npos);
  CHECK(errors.find("unknown option '--bogus'") != std::string::npos);
  CHECK(errors.find("--rate: invalid value '0'") != std::string::npos);
  CHECK(errors.find("%{nope}") != std::string::npos);
  CHECK(errors.find("--timeout: invalid value '-1'") != std::string::npos);
  CHECK(errors.find("cannot be combined") != std::string::npos);
  CHECK(command.errors.size() == 6);
}

TEST_CASE("a missing value is a usage error") {
  Command command = parse({"http://example.com/", "--pool"});
  CHECK(command.action == Command::Action::usage_error);
  CHECK(joined(command).find("pool") != std::string::npos);
}

TEST_CASE("a missing value is reported with every other bad flag") {
  Command command = parse({"--pool", "0", "--wat", "http://example.com/", "--timeout"});
  CHECK(command.action == Command::Action::usage_error);
  CHECK(joined(command) ==
        "--timeout: missing value (SEC)\nunknown option '--wat'\n"
        "--pool: invalid value '0': expected a whole number from 1 to 100000\n");
  // In a cluster: the flags before it still count, -x's value is missing.
  Command cluster = parse({"--rate", "x", "http://example.com/", "-qx"});
  CHECK(joined(cluster).find("--proxy: missing value (URL)") != std::string::npos);
  CHECK(joined(cluster).find("--rate: invalid value 'x'") != std::string::npos);
  CHECK(cluster.errors.size() == 2);
  CHECK(joined(parse({"http://example.com/", "--pool="})) == "--pool: missing value (N)\n");
  // Values are taken whatever they look like; "--" ends the options.
  Command fine = parse({"-x", "-", "-t", "5", "--", "-k"});
  CHECK(fine.action == Command::Action::run);
  CHECK(fine.options.http.proxy == "-");
  CHECK(fine.options.input.urls == std::vector<std::string>{"-k"});
  CHECK(parse({"-kx", "http://proxy:3128", "http://example.com/"}).action == Command::Action::run);
}

TEST_CASE("option --help and --version") {
  Command help = parse({"--help"});
  CHECK(help.action == Command::Action::help);
  for (const gfetch::cli::OptionSpec& spec : gfetch::cli::option_table()) {
    CHECK(help.text.find(std::string(spec.long_name())) != std::string::npos);
  }
  CHECK(parse({"-h"}).action == Command::Action::help);
  Command version = parse({"-V"});
  CHECK(version.action == Command::Action::version);
  CHECK(version.text.rfind("gfetch ", 0) == 0);
}

TEST_CASE("output format follows the terminal unless chosen") {
  Environment pipe{false, false, false, false};
  Environment terminal{false, true, true, false};
  CHECK(parse({"u"}, pipe).options.output.format.format == Format::tsv);
  CHECK(parse({"u"}, terminal).options.output.format.format == Format::human);
  CHECK(parse({"u"}, terminal).options.output.format.colour);
  CHECK(parse({"--json", "u"}, terminal).options.output.format.format == Format::json);
  CHECK(parse({"--csv", "u"}, pipe).options.output.format.format == Format::csv);
  CHECK(parse({"-w", "%{url}", "u"}, pipe).options.output.format.format == Format::write_out);
  Environment no_color = terminal;
  no_color.no_color = true;
  CHECK_FALSE(parse({"u"}, no_color).options.output.format.colour);
  CHECK_FALSE(parse({"--no-color", "u"}, terminal).options.output.format.colour);
  CHECK(parse({"--color", "u"}, pipe).options.output.format.colour);
}

TEST_CASE("progress and summary follow stderr, -q and the flags") {
  Environment pipe{false, false, false, false};
  Environment terminal{false, true, true, false};
  CHECK_FALSE(parse({"u"}, pipe).options.output.progress);
  CHECK(parse({"u"}, terminal).options.output.progress);
  CHECK(parse({"--progress", "u"}, pipe).options.output.progress);
  CHECK_FALSE(parse({"--no-progress", "u"}, terminal).options.output.progress);
  CHECK_FALSE(parse({"-q", "u"}, terminal).options.output.progress);
  CHECK(parse({"u"}, pipe).options.output.summary);
  CHECK_FALSE(parse({"--no-summary", "u"}, pipe).options.output.summary);
  CHECK_FALSE(parse({"-q", "u"}, pipe).options.output.summary);
}

TEST_CASE("stdin is read when no URL is given and it is not a terminal") {
  Environment piped{false, false, false, false};
  CHECK(parse({}, piped).options.input.files == std::vector<std::string>{"-"});
  Environment interactive{true, false, false, false};
  Command command = parse({}, interactive);
  CHECK(command.action == Command::Action::usage_error);
  CHECK(joined(command).find("no URLs") != std::string::npos);
  CHECK(parse({"u"}, piped).options.input.files.empty());
}

TEST_CASE("data switches GET to POST, and the default user agent names the version") {
  CHECK(parse({"-d", "x", "u"}).options.http.method == "POST");
  CHECK(parse({"-X", "PUT", "-d", "x", "u"}).options.http.method == "PUT");
  CHECK(parse({"u"}).options.http.user_agent.rfind("gfetch/", 0) == 0);
}

TEST_CASE("option -H takes curl's forms: 'Name: value', 'Name' with a semicolon, and 'Name:'") {
  for (const char* good : {"X-A: 1", "X-Empty;", "Accept:", "Accept:  "}) {
    INFO(good);
    Command command = parse({"-H", good, "u"});
    CHECK(command.errors.empty());
  }
  for (const char* bad : {"no colon", ";", "X A;", ": value", "X-A;;"}) {
    INFO(bad);
    CHECK_FALSE(parse({"-H", bad, "u"}).errors.empty());
  }
}
