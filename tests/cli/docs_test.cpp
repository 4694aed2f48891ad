// The option table against its documentation: every option is in the man page's
// OPTIONS section, the bash, zsh and fish completions; nothing is documented or
// completed that the table does not accept. Also: the man page renders cleanly,
// and every -w field is documented in its FIELDS section.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/option_table.hpp"
#include "fetch/result.hpp"

namespace {

std::string read(const std::string& relative) {
  std::ifstream file(std::string(GFETCH_SOURCE_DIR) + "/" + relative);
  REQUIRE(file);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::set<std::string> table_options() {
  std::set<std::string> out;
  for (const gfetch::cli::OptionSpec& spec : gfetch::cli::option_table()) {
    out.insert(std::string(spec.long_name()));
    if (!spec.short_name().empty()) out.insert(std::string(spec.short_name()));
  }
  return out;
}

// Option-like words: --long-name and -X, not inside other words. (Scanned by hand:
// GCC 12's <regex> trips -Wmaybe-uninitialized in the optimised sanitizer build.)
std::set<std::string> option_words(const std::string& text) {
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::set<std::string> out;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '-' || (i > 0 && (word_char(text[i - 1]) || text[i - 1] == '-'))) continue;
    if (text[i + 1] == '-') {
      std::size_t end = i + 2;
      while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) ||
                                   std::isdigit(static_cast<unsigned char>(text[end])) ||
                                   text[end] == '-' || text[end] == '.')) {
        ++end;
      }
      while (end > i + 2 && (text[end - 1] == '-' || text[end - 1] == '.')) --end;
      if (end > i + 2) out.insert(text.substr(i, end - i));
      i = end;
    } else if (std::isalpha(static_cast<unsigned char>(text[i + 1])) &&
               (i + 2 >= text.size() || !word_char(text[i + 2]))) {
      out.insert(text.substr(i, 2));
    }
  }
  return out;
}

// The words after each " FLAG " in `text` (fish's "-s X" and "-l NAME").
std::vector<std::string> words_after(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  for (std::size_t at = text.find(flag); at != std::string::npos; at = text.find(flag, at + 1)) {
    std::size_t start = at + flag.size();
    std::size_t end = text.find_first_of(" \n", start);
    out.push_back(text.substr(start, end - start));
  }
  return out;
}

std::string section(const std::string& text, const std::string& start, const std::string& end) {
  std::size_t from = text.find(start);
  REQUIRE(from != std::string::npos);
  std::size_t to = text.find(end, from + start.size());
  return text.substr(from, to == std::string::npos ? to : to - from);
}

std::string unescape_man(std::string text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-') {
      out += '-';
      ++i;
    } else if (text[i] == '\\' && i + 2 < text.size() && text[i + 1] == 'f') {
      i += 2;  // font change \fB \fI \fR
    } else {
      out += text[i];
    }
  }
  return out;
}

void check_same(const std::set<std::string>& documented, const std::string& where) {
  std::set<std::string> table = table_options();
  for (const std::string& option : table) {
    INFO(option << " is missing from " << where);
    CHECK(documented.count(option) == 1);
  }
  for (const std::string& option : documented) {
    INFO(option << " is in " << where << " but not an option of the table");
    CHECK(table.count(option) == 1);
  }
}

}  // namespace

TEST_CASE("the man page's OPTIONS section documents exactly the table") {
  std::string options = section(read("man/gfetch.1"), ".SH OPTIONS", "\n.SH ");
  check_same(option_words(unescape_man(options)), "man/gfetch.1");
}

TEST_CASE("the man page documents every -w field") {
  std::string fields = section(read("man/gfetch.1"), ".SH FIELDS", "\n.SH ");
  for (const gfetch::Field& field : gfetch::fields()) {
    INFO(field.name);
    CHECK(fields.find(".B " + std::string(field.name) + "\n") != std::string::npos);
  }
}

TEST_CASE("the man page renders with no warnings") {
  std::string command =
      "groff -man -ww -z " + std::string(GFETCH_SOURCE_DIR) + "/man/gfetch.1 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  int status = ::pclose(pipe);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.empty());
}

TEST_CASE("the bash completion lists exactly the table") {
  std::string bash = read("completions/gfetch.bash");
  check_same(option_words(section(bash, "local options=\"", "\"\n")), "completions/gfetch.bash");
  // Options whose argument is a file or directory complete it.
  CHECK(bash.find("compgen -f") != std::string::npos);
  CHECK(bash.find("compgen -d") != std::string::npos);
}

TEST_CASE("the zsh completion lists exactly the table") {
  std::string zsh = read("completions/_gfetch");
  CHECK(zsh.rfind("#compdef gfetch", 0) == 0);
  std::string specs;
  std::istringstream lines(zsh);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  '", 0) == 0) specs += line + "\n";
  }
  check_same(option_words(specs), "completions/_gfetch");
  CHECK(zsh.find("_files") != std::string::npos);
  CHECK(zsh.find("_directories") != std::string::npos);
}

TEST_CASE("the fish completion lists exactly the table") {
  std::string fish = read("completions/gfetch.fish");
  std::set<std::string> documented;
  for (const std::string& name : words_after(fish, " -s ")) documented.insert("-" + name);
  for (const std::string& name : words_after(fish, " -l ")) documented.insert("--" + name);
  check_same(documented, "completions/gfetch.fish");
  CHECK(fish.find(" -F") != std::string::npos);
}

TEST_CASE("file and directory options are completed as such") {
  std::string bash = read("completions/gfetch.bash");
  for (const gfetch::cli::OptionSpec& spec : gfetch::cli::option_table()) {
    if (spec.complete == gfetch::cli::Complete::none) continue;
    INFO(spec.long_name());
    // The option's first appearance is its case pattern, before the option list.
    std::size_t at = std::min(bash.find(" " + std::string(spec.long_name()) + " "),
                              bash.find(" " + std::string(spec.long_name()) + ")"));
    REQUIRE(at != std::string::npos);
    std::size_t pattern_end = bash.find(')', at);
    std::string action = bash.substr(pattern_end, bash.find(";;", pattern_end) - pattern_end);
    CHECK(action.find("compgen") != std::string::npos);
  }
}
