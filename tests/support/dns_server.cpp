// Runs dnsmasq (Debian's dnsmasq-base) in the foreground for the resolver tests:
// picks a free loopback port, spawns it with a fixed test zone, probes it with a
// real DNS query until it answers, and stops it on destruction.
#include "support/dns_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace testing {
namespace {

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("dns_server: " + what + ": " + std::strerror(errno));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A close-on-exec socket of `type` bound to 127.0.0.1:port; -1 if the port is taken.
int bind_loopback(int type, std::uint16_t port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  sockaddr_in addr = loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  return ntohs(addr.sin_port);
}

// A port free for both UDP and TCP right now (dnsmasq listens on both).
std::uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int udp = bind_loopback(SOCK_DGRAM, 0);
    if (udp < 0) fail("bind udp");
    std::uint16_t port = bound_port(udp);
    int tcp = bind_loopback(SOCK_STREAM, port);
    close(udp);
    if (tcp >= 0) {
      close(tcp);
      return port;
    }
  }
  throw std::runtime_error("dns_server: no free port for UDP and TCP");
}

// A minimal DNS query: id 0x4242, recursion desired, "a.test" IN A.
std::vector<unsigned char> probe_query() {
  std::vector<unsigned char> packet = {0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  for (const char* label : {"a", "test"}) {
    packet.push_back(static_cast<unsigned char>(std::strlen(label)));
    packet.insert(packet.end(), label, label + std::strlen(label));
  }
  packet.insert(packet.end(), {0, 0, 1, 0, 1});
  return packet;
}

// Runs dnsmasq (stdout and stderr to `log`) under a small guard process and returns
// the guard's pid. dnsmasq clears PR_SET_PDEATHSIG when it changes credentials, so
// the guard keeps it instead: on SIGTERM (from stop(), or because this process died)
// it stops dnsmasq; when dnsmasq exits, it exits too. A crashed or timed-out test
// leaves no dnsmasq behind. Only async-signal-safe calls between fork and exec.
pid_t spawn(const std::vector<char*>& argv, const std::string& log) {
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (null_fd < 0 || log_fd < 0) fail("open " + log);
  pid_t parent = getpid();
  pid_t guard = fork();
  if (guard == 0) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGCHLD);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127);
    pid_t dnsmasq = fork();
    if (dnsmasq == 0) {
      sigprocmask(SIG_UNBLOCK, &signals, nullptr);
      if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) _exit(127);
      execv(kDnsmasq, argv.data());
      _exit(127);
    }
    if (dnsmasq < 0) _exit(127);
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGTERM) kill(dnsmasq, SIGTERM);
    int status = 0;
    while (waitpid(dnsmasq, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  }
  int saved = errno;
  close(null_fd);
  close(log_fd);
  errno = saved;
  if (guard < 0) fail("fork");
  return guard;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

DnsServer::DnsServer(Options options) : options_(options) {
  std::string templ = "/tmp/gfetch-dns-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) fail("mkdtemp");
  dir_ = templ;
  blackhole_fd_ = bind_loopback(SOCK_DGRAM, 0);
  if (blackhole_fd_ < 0) fail("bind black hole");
  blackhole_port_ = bound_port(blackhole_fd_);
  std::string failure;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_once(failure)) return;
  }
  stop();
  throw std::runtime_error("dns_server: dnsmasq did not start: " + failure);
}

DnsServer::~DnsServer() {
  stop();
}

std::string DnsServer::server() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string DnsServer::blackhole_server() const {
  return "127.0.0.1:" + std::to_string(blackhole_port_);
}

bool DnsServer::start_once(std::string& failure) {
  port_ = free_port();
  std::string log = dir_ + "/dnsmasq.log";
  std::vector<std::string> args = {
      kDnsmasq,
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--no-poll",
      "--port=" + std::to_string(port_),
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--pid-file=" + dir_ + "/dnsmasq.pid",
      "--log-facility=-",
      "--log-queries",
      "--local-ttl=" + std::to_string(options_.ttl),
      "--local=/test/",
      "--address=/nx.test/",
      "--address=/wild.test/127.0.0.2",
      "--host-record=a.test,127.0.0.1",
      "--host-record=v6.test,::1",
      "--host-record=both.test,127.0.0.1,::1",
      "--server=/slow.test/127.0.0.1#" + std::to_string(blackhole_port_),
  };
  if (geteuid() == 0) args.emplace_back("--user=root");  // no privilege drop to nobody
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_ = spawn(argv, log);
  // Probe with a real query until dnsmasq answers, or it exits, or 10 s pass.
  int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) fail("socket");
  sockaddr_in addr = loopback(port_);
  std::vector<unsigned char> query = probe_query();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool ready = false;
  while (!ready && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      failure = read_file(log);
      close(probe);
      return false;
    }
    sendto(probe, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    pollfd fds{probe, POLLIN, 0};
    if (poll(&fds, 1, 20) == 1) {
      std::array<unsigned char, 512> reply{};
      ssize_t n = recv(probe, reply.data(), reply.size(), 0);
      ready = n >= 12 && reply[0] == 0x42 && reply[1] == 0x42 && (reply[2] & 0x80) != 0;
    }
  }
  close(probe);
  if (!ready) {
    failure = "no answer within 10 s; log: " + read_file(log);
    stop_dnsmasq();
  }
  return ready;
}

void DnsServer::stop_dnsmasq() noexcept {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void DnsServer::stop() noexcept {
  stop_dnsmasq();
  if (blackhole_fd_ >= 0) {
    close(blackhole_fd_);
    blackhole_fd_ = -1;
  }
  if (!dir_.empty()) {
    unlink((dir_ + "/dnsmasq.log").c_str());
    unlink((dir_ + "/dnsmasq.pid").c_str());
    rmdir(dir_.c_str());
    dir_.clear();
  }
}

}  // namespace testing
