// DnsServer: a real dnsmasq on 127.0.0.1 at a free port, for resolver tests, plus a
// "black hole" UDP server that never answers. The constructor returns once dnsmasq
// answers queries; the destructor stops it (SIGTERM, waitpid). Failures to start
// throw std::runtime_error: a missing DNS server is a broken test environment.
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>

namespace testing {

// The zone dnsmasq serves (everything under .test is local to it):
//   a.test        A 127.0.0.1 (no AAAA: NOERROR, no data)
//   v6.test       AAAA ::1 (no A)
//   both.test     A 127.0.0.1, AAAA ::1
//   *.wild.test   A 127.0.0.2 (wild.test itself too)
//   nx.test, *.nx.test and every other name under .test: NXDOMAIN
//   slow.test     forwarded to the black hole: never answered
//   any other name (example.com, ...): REFUSED (no upstream servers)
class DnsServer {
 public:
  struct Options {
    int ttl = 60;  // TTL of every local answer (dnsmasq --local-ttl), in seconds
  };

  DnsServer() : DnsServer(Options{}) {}
  explicit DnsServer(Options options);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "127.0.0.1:<port>", the form Resolver::Options::servers takes.
  std::string server() const;
  // A server that receives queries and never replies, in the same form.
  std::string blackhole_server() const;
  std::uint16_t blackhole_port() const { return blackhole_port_; }

 private:
  bool start_once(std::string& failure);  // false: dnsmasq exited (port race); retry
  void stop_dnsmasq() noexcept;
  void stop() noexcept;  // dnsmasq, the black hole and the temp dir

  Options options_;
  std::string dir_;  // temp dir: pid file and dnsmasq's log
  int blackhole_fd_ = -1;
  std::uint16_t blackhole_port_ = 0;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;  // the guard process that owns dnsmasq (see dns_server.cpp)
};

}  // namespace testing
