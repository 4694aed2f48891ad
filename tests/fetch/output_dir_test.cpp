// -o DIR naming: names are single safe path components, nothing is ever created
// outside DIR (../, %2e%2e, absolute paths, very long names), collisions get
// distinct names.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <string>

#include "fetch/output_dir.hpp"

using gfetch::OutputDir;
using gfetch::safe_file_name;

namespace {

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  DIR* handle = ::opendir(dir.c_str());
  REQUIRE(handle);
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") out.insert(name);
  }
  ::closedir(handle);
  return out;
}

void check_safe(const std::string& name) {
  INFO(name);
  CHECK(!name.empty());
  CHECK(name.size() <= gfetch::kMaxName);
  CHECK(name.front() != '.');
  CHECK(name.find('/') == std::string::npos);
  CHECK(
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
      std::string::npos);
}

struct TempTree {
  TempTree() {
    char path[] = "/tmp/gfetch-out-XXXXXX";
    REQUIRE(::mkdtemp(path));
    root = path;
    dir = root + "/out";
  }
  ~TempTree() { std::system(("rm -rf '" + root + "'").c_str()); }
  std::string root;
  std::string dir;
};

}  // namespace

TEST_CASE("names come from host, port, path and query") {
  CHECK(safe_file_name("http://127.0.0.1:8080/bytes/100") == "127.0.0.1_8080_bytes_100");
  CHECK(safe_file_name("http://example.com/") == "example.com_index");
  CHECK(safe_file_name("http://example.com") == "example.com_index");
  CHECK(safe_file_name("http://example.com/a/b.txt?x=1#frag") == "example.com_a_b.txt_x_1");
  CHECK(safe_file_name("http://user:pw@example.com/x") == "example.com_x");
}

TEST_CASE("hostile URLs still give one safe component") {
  const char* hostile[] = {
      "http://h/../../etc/passwd",
      "http://h/%2e%2e/%2e%2e/etc/passwd",
      "http://h/%2E%2E%2Fescape",
      "http://../",
      "http://./",
      "http://h//absolute/path",
      "http://h/..",
      "http://.hidden/",
      "..",
      "/etc/passwd",
      "http://h/\xff\xfe/ünïcode",
      "http://h/a\\..\\..\\b",
  };
  for (const char* url : hostile) {
    std::string name = safe_file_name(url);
    check_safe(name);
    CHECK(name != "..");
    CHECK(name != ".");
  }
}

TEST_CASE("very long names are cut, and stay distinct") {
  std::string a = "http://h/" + std::string(5000, 'a') + "1.txt";
  std::string b = "http://h/" + std::string(5000, 'a') + "2.txt";
  std::string name_a = safe_file_name(a);
  std::string name_b = safe_file_name(b);
  check_safe(name_a);
  check_safe(name_b);
  CHECK(name_a != name_b);
  CHECK(name_a.size() > 150);
  CHECK(name_a.substr(name_a.size() - 4) == ".txt");
}

TEST_CASE("files are created inside DIR only, collisions numbered") {
  TempTree tree;
  std::set<std::string> before = entries(tree.root);
  {
    OutputDir out(tree.dir);
    std::set<std::string> paths;
    const char* urls[] = {"http://h/../../x", "http://h/%2e%2e/%2e%2e/x",
                          "http://h//x",      "http://h/x",
                          "http://h/x",       "http://h/x?",
                          "http://h/a.txt",   "http://h/a.txt",
                          "http://h/"};
    for (const char* url : urls) {
      OutputDir::File file = out.create(url);
      REQUIRE(file.fd >= 0);
      ::close(file.fd);
      CHECK(file.path.rfind(tree.dir + "/", 0) == 0);
      CHECK(paths.insert(file.path).second);
    }
    CHECK(paths.count(tree.dir + "/h_a.txt") == 1);
    CHECK(paths.count(tree.dir + "/h_a-1.txt") == 1);
    CHECK(entries(tree.dir).size() == std::size(urls));
  }
  std::set<std::string> after = entries(tree.root);
  after.erase("out");
  CHECK(after == before);
}

TEST_CASE("a symlink in DIR is never followed") {
  TempTree tree;
  OutputDir out(tree.dir);
  std::string target = tree.root + "/target";
  REQUIRE(::symlink(target.c_str(), (tree.dir + "/h_x").c_str()) == 0);
  OutputDir::File file = out.create("http://h/x");
  ::close(file.fd);
  CHECK(file.path == tree.dir + "/h_x-1");
  struct stat info {};
  CHECK(::stat(target.c_str(), &info) != 0);
}

TEST_CASE("DIR that is a file is an error naming it") {
  TempTree tree;
  std::string file = tree.root + "/plain";
  REQUIRE(std::system(("touch '" + file + "'").c_str()) == 0);
  CHECK_THROWS_WITH(OutputDir(file), Catch::Contains(file));
}
