// HTTP/2 through net::Client against a local nghttpd (Debian's nghttp2-server). In
// h2c prior-knowledge mode concurrent fetches share one connection and the server's
// frame log shows their DATA frames interleaved (real multiplexing); over TLS with
// a self-signed certificate, verification, insecure mode and a CA file.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "green/green.hpp"
#include "green/pool.hpp"
#include "net/client.hpp"
#include "net/error.hpp"

using gfetch::net::Client;
using gfetch::net::HttpVersion;
using gfetch::net::Request;
using gfetch::net::Response;

namespace {

// Debian installs it in /usr/sbin; some layouts use /usr/bin.
std::string find_nghttpd() {
  for (const char* path : {"/usr/sbin/nghttpd", "/usr/bin/nghttpd"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// nghttpd on 127.0.0.1 at a free port, serving `files` (name -> size) from a temp
// docroot, logging frames (-v) to a file; plain h2c, or TLS with a fresh
// self-signed certificate for 127.0.0.1. Stopped and cleaned up on scope exit.
class Nghttpd {
 public:
  explicit Nghttpd(const std::vector<std::pair<std::string, std::size_t>>& files, bool tls = false)
      : tls_(tls) {
    dir_ = std::filesystem::temp_directory_path() /
           ("gfetch-h2-" + std::to_string(::getpid()) + "-" + std::to_string(free_port()));
    std::filesystem::create_directories(dir_ / "docroot");
    for (const auto& [name, size] : files) {
      std::ofstream(dir_ / "docroot" / name, std::ios::binary) << std::string(size, 'h');
    }
    log_ = dir_ / "nghttpd.log";
    if (tls_ && !make_certificate()) return;
    for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start();
  }
  ~Nghttpd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Nghttpd(const Nghttpd&) = delete;
  Nghttpd& operator=(const Nghttpd&) = delete;

  bool running() const { return pid_ > 0; }
  std::string url(const std::string& path) const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) + path;
  }
  std::string certificate() const { return (dir_ / "cert.pem").string(); }
  std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  void start() {
    port_ = free_port();
    std::string docroot = (dir_ / "docroot").string();
    std::string port = std::to_string(port_);
    std::string binary = find_nghttpd();
    std::vector<std::string> args = {binary, "-v", "-a", "127.0.0.1", "-d", docroot, port};
    if (tls_) {
      args.push_back((dir_ / "key.pem").string());
      args.push_back(certificate());
    } else {
      args.push_back("--no-tls");
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::string log = log_.string();
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return;
    if (pid == 0) {
      // Only async-signal-safe calls here. The server dies with the test process,
      // even if that one crashes before its destructors run.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(fd, STDERR_FILENO) < 0) ::_exit(127);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (accepts_connections(port_)) {
        pid_ = pid;
        return;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) return;  // exited: port taken, retry
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }

  bool make_certificate() {
    std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
        " -addext subjectAltName=IP:127.0.0.1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + certificate() + " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }

  bool tls_;
  std::filesystem::path dir_;
  std::filesystem::path log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

Request h2(std::string url) {
  Request request;
  request.url = std::move(url);
  request.http_version = HttpVersion::http2_prior_knowledge;
  return request;
}

}  // namespace

TEST_CASE("concurrent fetches multiplex over one HTTP/2 connection", "[client][http2]") {
  if (find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  constexpr int kFetches = 20;
  constexpr std::size_t kSize = 2 * 1024 * 1024;  // more than a socket buffer: streams overlap
  std::vector<std::pair<std::string, std::size_t>> files;
  for (int i = 0; i < kFetches; ++i) files.emplace_back("file" + std::to_string(i), kSize);
  Nghttpd server(files);
  REQUIRE(server.running());

  green::Hub hub;
  Client client(hub);
  std::vector<Response> responses(kFetches);
  green::Pool pool(kFetches);
  for (int i = 0; i < kFetches; ++i) {
    pool.spawn(
        [&, i] { responses[i] = client.fetch(h2(server.url("/file" + std::to_string(i)))); });
  }
  pool.join();
  for (const Response& response : responses) {
    INFO(response.error_message);
    CHECK(response.ok());
    CHECK(response.status == 200);
    CHECK(response.http_version == "2");
    CHECK(response.bytes_received == kSize);
  }
  CHECK(client.stats().transfers == static_cast<std::uint64_t>(kFetches));
  CHECK(client.stats().connections_opened == 1);

  // The server sent the streams' DATA frames interleaved, not one stream after another.
  std::string log = server.log();
  // Lines like "send DATA frame <length=16384, flags=0x00, stream_id=13>".
  std::vector<int> streams;
  const std::string frame = "send DATA frame <";
  const std::string stream_id = "stream_id=";
  for (std::size_t at = log.find(frame); at != std::string::npos; at = log.find(frame, at + 1)) {
    std::size_t id = log.find(stream_id, at);
    if (id != std::string::npos) streams.push_back(std::atoi(log.c_str() + id + stream_id.size()));
  }
  std::set<int> distinct(streams.begin(), streams.end());
  int switches = 0;
  for (std::size_t i = 1; i < streams.size(); ++i) switches += streams[i] != streams[i - 1];
  CHECK(distinct.size() == static_cast<std::size_t>(kFetches));
  CHECK(switches > kFetches);
}

TEST_CASE("sequential HTTP/2 fetches reuse the connection", "[client][http2]") {
  if (find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  Nghttpd server({{"small", 1000}});
  REQUIRE(server.running());
  green::Hub hub;
  Client client(hub);
  for (int i = 0; i < 10; ++i) {
    Response response = client.fetch(h2(server.url("/small")));
    INFO(response.error_message);
    CHECK(response.ok());
    CHECK(response.http_version == "2");
    CHECK(response.bytes_received == 1000);
  }
  CHECK(client.stats().connections_opened == 1);
}

TEST_CASE("TLS is verified by default, insecure mode and a CA file are honoured", "[client][tls]") {
  if (find_nghttpd().empty()) {
    WARN("nghttpd is not installed (Debian nghttp2-server): test skipped");
    return;
  }
  Nghttpd server({{"page", 5000}}, /*tls=*/true);
  REQUIRE(server.running());
  green::Hub hub;
  Client client(hub);
  Request request;
  request.url = server.url("/page");

  Response unverified = client.fetch(request);
  CHECK(unverified.error == gfetch::net::errc::tls_failure);
  CHECK_FALSE(unverified.error_message.empty());

  request.tls.insecure = true;
  Response insecure = client.fetch(request);
  INFO(insecure.error_message);
  CHECK(insecure.ok());
  CHECK(insecure.http_version == "2");  // h2 through ALPN
  CHECK(insecure.timings.tls > 0);
  CHECK(insecure.bytes_received == 5000);

  request.tls.insecure = false;
  request.tls.ca_file = server.certificate();
  Response trusted = client.fetch(request);
  INFO(trusted.error_message);
  CHECK(trusted.ok());
  CHECK(trusted.bytes_received == 5000);

  // The CA file stays with that request: the pooled handle forgets it.
  request.tls.ca_file.clear();
  Request fresh;
  fresh.url = server.url("/page?again");
  CHECK(client.fetch(fresh).error == gfetch::net::errc::tls_failure);
}
