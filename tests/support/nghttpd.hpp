// testing::Nghttpd: a local nghttpd (Debian's nghttp2-server) for the HTTP/2 and
// TLS tests. It serves files from a temp docroot on 127.0.0.1 at a free port, as
// h2c or as TLS with a fresh self-signed certificate (openssl) for 127.0.0.1, and
// is stopped and cleaned up on scope exit.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace testing {

struct NghttpdOptions {
  std::vector<std::pair<std::string, std::size_t>> files;  // name -> size, each byte 'h'
  bool tls = false;        // TLS with a self-signed certificate; otherwise --no-tls (h2c)
  bool frame_log = false;  // -v, output kept in log(); otherwise output to /dev/null
  std::string dir_prefix = "gfetch-h2-";  // temp dir: prefix + pid + "-" + a free port
  int start_polls = 100;  // waits of 20 ms for the port to accept connections, per attempt
};

// The nghttpd binary (Debian installs it in /usr/sbin; some layouts use /usr/bin),
// or "" if it is not installed.
std::string find_nghttpd();

// Up to 5 start attempts (a port taken meanwhile means a retry); running() says if
// one succeeded. The server dies with the test process even if that one crashes.
class Nghttpd {
 public:
  explicit Nghttpd(NghttpdOptions options);
  ~Nghttpd();
  Nghttpd(const Nghttpd&) = delete;
  Nghttpd& operator=(const Nghttpd&) = delete;

  bool running() const { return pid_ > 0; }
  // "http://127.0.0.1:PORT" + path, or https with tls.
  std::string url(const std::string& path) const;
  // The self-signed certificate (PEM), usable as a CA file.
  std::string certificate() const { return (dir_ / "cert.pem").string(); }
  // nghttpd's output so far (the frame log with frame_log; empty otherwise).
  std::string log() const;

 private:
  void start();
  bool make_certificate();

  NghttpdOptions options_;
  std::filesystem::path dir_;
  std::filesystem::path log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace testing
