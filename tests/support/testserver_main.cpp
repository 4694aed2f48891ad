// gfetch-testserver: the loopback test servers as a process, for the CLI
// end-to-end tests, the benchmarks and the README demo. Prints "port=N" on its
// own line once listening, serves until SIGTERM or SIGINT, then exits 0.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "support/fault_server.hpp"
#include "support/http_server.hpp"

namespace {

constexpr const char* kUsage =
    "usage: gfetch-testserver [--bind ADDR] [--port N] [--faults]\n"
    "  --bind ADDR  numeric loopback address to listen on (default 127.0.0.1; ::1 for IPv6)\n"
    "  --port N     port to listen on (default 0: any free port)\n"
    "  --faults     serve the misbehaving fault server instead of the HTTP routes\n"
    "Prints \"port=N\" once listening; stops on SIGTERM or SIGINT.\n"
    "Routes and faults: tests/support/README.md\n";

struct Args {
  testing::ServerOptions options;
  bool faults = false;
};

// Every error is reported before exiting with status 2.
bool parse(int argc, char** argv, Args& args) {
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--faults") {
      args.faults = true;
    } else if (arg == "--bind" && has_value) {
      args.options.bind = argv[++i];
    } else if (arg == "--port" && has_value) {
      char* end = nullptr;
      unsigned long port = std::strtoul(argv[++i], &end, 10);
      if (*argv[i] == '\0' || *end != '\0' || port > 65535) {
        std::cerr << "gfetch-testserver: bad port: " << argv[i] << "\n";
        ok = false;
      }
      args.options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      std::cerr << "gfetch-testserver: unknown or incomplete option: " << arg << "\n";
      ok = false;
    }
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::cerr << kUsage;
    return 2;
  }

  // Block the stop signals before any server thread exists, so every thread
  // inherits the mask and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    std::unique_ptr<testing::HttpServer> http;
    std::unique_ptr<testing::FaultServer> faults;
    std::uint16_t port = 0;
    if (args.faults) {
      faults = std::make_unique<testing::FaultServer>(args.options);
      port = faults->port();
    } else {
      http = std::make_unique<testing::HttpServer>(args.options);
      port = http->port();
    }
    std::printf("port=%u\n", static_cast<unsigned>(port));
    std::fflush(stdout);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
  } catch (const std::exception& e) {
    std::cerr << "gfetch-testserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
