// `cmake --install` puts the binary, the man page and the three completions in
// their standard places under the prefix, and the installed binary runs.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "e2e/process.hpp"

TEST_CASE("cmake --install: binary, man page, bash/zsh/fish completions") {
  char path[] = "/tmp/gfetch-install-XXXXXX";
  std::string prefix = ::mkdtemp(path);
  e2e::Finished install = e2e::shell("cmake --install " + std::string(GFETCH_BUILD_DIR) +
                                     " --prefix " + prefix + " --component Unspecified");
  INFO(install.out);
  REQUIRE(install.status == 0);
  for (const char* file :
       {"/bin/gfetch", "/share/man/man1/gfetch.1", "/share/bash-completion/completions/gfetch",
        "/share/zsh/vendor-completions/_gfetch", "/share/fish/vendor_completions.d/gfetch.fish"}) {
    struct stat info {};
    INFO(file);
    CHECK(::stat((prefix + file).c_str(), &info) == 0);
  }
  e2e::Finished version = e2e::shell(prefix + "/bin/gfetch --version");
  CHECK(version.out.rfind("gfetch ", 0) == 0);
  std::system(("rm -rf '" + prefix + "'").c_str());
}
