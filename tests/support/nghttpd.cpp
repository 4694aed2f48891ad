// testing::Nghttpd (see nghttpd.hpp): fork/exec of nghttpd with its output in a
// log file or /dev/null, polling its port until it accepts connections.
#include "support/nghttpd.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>
#include <thread>

#include "support/loopback.hpp"

namespace testing {

std::string find_nghttpd() {
  for (const char* path : {"/usr/sbin/nghttpd", "/usr/bin/nghttpd"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

Nghttpd::Nghttpd(NghttpdOptions options) : options_(std::move(options)) {
  dir_ = std::filesystem::temp_directory_path() /
         (options_.dir_prefix + std::to_string(::getpid()) + "-" + std::to_string(free_tcp_port()));
  std::filesystem::create_directories(dir_ / "docroot");
  for (const auto& [name, size] : options_.files) {
    std::ofstream(dir_ / "docroot" / name, std::ios::binary) << std::string(size, 'h');
  }
  log_ = options_.frame_log ? dir_ / "nghttpd.log" : std::filesystem::path("/dev/null");
  if (options_.tls && !make_certificate()) return;
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start();
}

Nghttpd::~Nghttpd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string Nghttpd::url(const std::string& path) const {
  return (options_.tls ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) +
         path;
}

std::string Nghttpd::log() const {
  if (!options_.frame_log) return {};
  std::ifstream in(log_);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void Nghttpd::start() {
  port_ = free_tcp_port();
  std::string binary = find_nghttpd();
  std::vector<std::string> args = {binary};
  if (options_.frame_log) args.push_back("-v");
  args.insert(args.end(),
              {"-a", "127.0.0.1", "-d", (dir_ / "docroot").string(), std::to_string(port_)});
  if (options_.tls) {
    args.push_back((dir_ / "key.pem").string());
    args.push_back(certificate());
  } else {
    args.push_back("--no-tls");
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string log = log_.string();
  const int flags = options_.frame_log ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC : O_WRONLY;
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return;
  if (pid == 0) {
    // Only async-signal-safe calls here. The server dies with the test process,
    // even if that one crashes before its destructors run.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), flags, 0644);
    if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(fd, STDERR_FILENO) < 0) ::_exit(127);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < options_.start_polls; ++i) {
    if (accepts_connections(static_cast<std::uint16_t>(port_))) {
      pid_ = pid;
      return;
    }
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;  // exited: port taken, retry
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

bool Nghttpd::make_certificate() {
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
      " -addext subjectAltName=IP:127.0.0.1 -keyout " +
      (dir_ / "key.pem").string() + " -out " + certificate() + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

}  // namespace testing
