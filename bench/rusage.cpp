// rusage: runs one command and writes what it cost, so that every tool of a
// comparison is measured the same way, from outside: wall seconds (monotonic),
// user and system CPU seconds and peak RSS of that process (wait4), at microsecond
// resolution (GNU time prints 10 ms). Only libc, so its own RSS, which floors the
// child's ru_maxrss across fork+exec, stays small. Used by bench/net.sh.
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr const char* kUsage =
    "usage: bench_rusage [-t SECONDS] OUT_FILE -- COMMAND [ARGS...]\n"
    "Runs COMMAND, then writes one line to OUT_FILE:\n"
    "  wall_s=... user_s=... sys_s=... maxrss_kib=... status=...\n"
    "and exits with COMMAND's status (128+N if killed by signal N). -t: SIGKILL it\n"
    "after SECONDS (status=timeout).\n";

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_timed_out = 0;

extern "C" void on_alarm(int) {
  g_timed_out = 1;
  if (g_child > 0) kill(g_child, SIGKILL);
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

double monotonic_seconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int arg = 1;
  unsigned timeout = 0;
  if (arg + 1 < argc && std::strcmp(argv[arg], "-t") == 0) {
    timeout = static_cast<unsigned>(std::strtoul(argv[arg + 1], nullptr, 10));
    arg += 2;
  }
  if (arg + 2 >= argc || std::strcmp(argv[arg + 1], "--") != 0) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const char* out_path = argv[arg];
  char** command = argv + arg + 2;

  struct sigaction action {};
  action.sa_handler = on_alarm;  // no SA_RESTART: wait4 returns EINTR, then waits again
  sigaction(SIGALRM, &action, nullptr);

  const double start = monotonic_seconds();
  pid_t child = fork();
  if (child < 0) {
    std::perror("bench_rusage: fork");
    return 2;
  }
  if (child == 0) {
    execvp(command[0], command);
    std::fprintf(stderr, "bench_rusage: cannot run %s: %s\n", command[0], std::strerror(errno));
    _exit(127);
  }
  g_child = child;
  if (timeout > 0) alarm(timeout);
  int status = 0;
  rusage usage{};
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("bench_rusage: wait4");
      return 2;
    }
  }
  const double wall = monotonic_seconds() - start;
  alarm(0);

  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::FILE* out = std::fopen(out_path, "w");
  if (out == nullptr) {
    std::fprintf(stderr, "bench_rusage: cannot write %s: %s\n", out_path, std::strerror(errno));
    return 2;
  }
  std::fprintf(out, "wall_s=%.6f user_s=%.6f sys_s=%.6f maxrss_kib=%ld status=", wall,
               seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss);
  if (g_timed_out) {
    std::fputs("timeout\n", out);
  } else {
    std::fprintf(out, "%d\n", code);
  }
  std::fclose(out);
  return code;
}
