// green_micro: micro-benchmarks of the green scheduler. Context switch cost (raw
// Boost.Context, green's own switch, a sleep(0) yield between greenlets), spawn+join
// cost, resident memory per parked greenlet at 100,000 of them, and a StreamServer's
// memory per idle connection at 10,000. Medians of several runs; see README.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "green/detail/context.hpp"
#include "green/green.hpp"
#if __has_include("green/server.hpp")
#include "green/server.hpp"
#include "green/socket.hpp"
#define GREEN_MICRO_HAS_SERVER 1
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `measure` (which returns ns per operation) `runs` times; returns the median.
double median_of(int runs, const std::function<double()>& measure) {
  std::vector<double> results;
  for (int i = 0; i < runs; ++i) results.push_back(measure());
  std::sort(results.begin(), results.end());
  return results[results.size() / 2];
}

// A field of /proc/self/status in KiB (VmRSS, VmPTE, ...).
long status_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  std::size_t length = std::strlen(field);
  while (std::getline(status, line)) {
    if (line.compare(0, length, field) == 0 && line.size() > length && line[length] == ':') {
      return std::atol(line.c_str() + length + 1);
    }
  }
  return -1;
}

void print_header(const char* title) {
  std::printf("\n%s\n", title);
}

void print_row(const char* label, double value, const char* unit) {
  std::printf("  %-46s %8.1f %s\n", label, value, unit);
}

// ---- context switches ----

// Two Boost.Context fibers resuming each other: the floor under everything else.
double raw_fiber_switch_ns(long rounds) {
  namespace ctx = boost::context;
  ctx::fiber other([rounds](ctx::fiber&& back) {
    for (long i = 0; i < rounds; ++i) back = std::move(back).resume();
    return std::move(back);
  });
  Clock::time_point start = Clock::now();
  for (long i = 0; i < rounds; ++i) other = std::move(other).resume();
  double elapsed = seconds_since(start);
  other = std::move(other).resume();  // let it finish
  return elapsed * 1e9 / static_cast<double>(2 * rounds);
}

// green's switch_context (Boost fiber plus saving libstdc++'s exception state)
// between the thread's own context and one greenlet-style context.
double green_context_switch_ns(long rounds) {
  green::StackPool pool(green::StackPool::default_stack_size());
  green::detail::Context main_context;
  green::detail::Context other;
  green::detail::make_context(
      other, &pool, 0,
      [&] {
        for (long i = 0; i < rounds; ++i) green::detail::switch_context(other, main_context);
      },
      main_context);
  Clock::time_point start = Clock::now();
  for (long i = 0; i < rounds; ++i) green::detail::switch_context(main_context, other);
  double elapsed = seconds_since(start);
  green::detail::switch_context(main_context, other);  // let it finish
  return elapsed * 1e9 / static_cast<double>(2 * rounds);
}

// `count` greenlets each yielding `rounds` times with sleep(0); ns per yield. A yield
// is one greenlet handing the CPU to the next: greenlet -> hub -> greenlet.
// With `watch_fd`, an idle pipe is watched meanwhile, as in any program doing I/O:
// then every loop turn also polls the kernel (epoll_wait with a zero timeout).
double sleep0_yield_ns(int count, long rounds, bool watch_fd = false) {
  green::Hub hub;
  int fds[2] = {-1, -1};
  std::optional<green::IoWatcher> watcher;
  if (watch_fd) {
    if (pipe(fds) != 0) return 0;
    watcher.emplace(fds[0], [](int) {});
    watcher->start(green::IoWatcher::kRead);
  }
  std::vector<green::Greenlet::Ptr> greenlets;
  for (int i = 0; i < count; ++i) {
    greenlets.push_back(green::spawn([rounds] {
      for (long r = 0; r < rounds; ++r) green::sleep(0);
    }));
  }
  green::sleep(0);  // all started: stacks mapped, first frames touched
  Clock::time_point start = Clock::now();
  green::joinall(greenlets);
  double elapsed = seconds_since(start);
  if (watch_fd) {
    watcher.reset();
    close(fds[0]);
    close(fds[1]);
  }
  return elapsed * 1e9 / static_cast<double>(count * rounds);
}

// Two greenlets handing control to each other with Waiters (an Event-style
// wake/wait, as Queue and Semaphore do); ns per handoff.
double waiter_handoff_ns(long rounds) {
  green::Hub hub;
  green::Waiter* waiting[2] = {nullptr, nullptr};
  auto player = [&](int me) {
    for (long r = 0; r < rounds; ++r) {
      green::Waiter waiter;
      waiting[me] = &waiter;
      if (green::Waiter* other = std::exchange(waiting[1 - me], nullptr)) other->wake();
      waiter.wait();
    }
    if (green::Waiter* other = std::exchange(waiting[1 - me], nullptr)) other->wake();
  };
  auto a = green::spawn(player, 0);
  auto b = green::spawn(player, 1);
  Clock::time_point start = Clock::now();
  green::joinall(green::greenlets(a, b));
  return seconds_since(start) * 1e9 / static_cast<double>(2 * rounds);
}

// ---- spawn + join ----

// spawn(fn) then join() it, one at a time: ns per greenlet.
double spawn_join_ns(long count) {
  green::Hub hub;
  green::spawn([] {})->join();  // warm the stack pool
  long sum = 0;
  Clock::time_point start = Clock::now();
  for (long i = 0; i < count; ++i) {
    auto greenlet = green::spawn([&sum, i] { sum += i; });
    greenlet->join();
  }
  double elapsed = seconds_since(start);
  if (sum < 0) std::puts("");  // keep the work
  return elapsed * 1e9 / static_cast<double>(count);
}

// spawn `batch` greenlets, joinall them; repeated; ns per greenlet.
double spawn_batch_joinall_ns(int batch, int repeats) {
  green::Hub hub;
  std::vector<green::Greenlet::Ptr> greenlets;
  greenlets.reserve(static_cast<std::size_t>(batch));
  long sum = 0;
  auto one_batch = [&] {
    greenlets.clear();
    for (int i = 0; i < batch; ++i) greenlets.push_back(green::spawn([&sum, i] { sum += i; }));
    green::joinall(greenlets);
  };
  one_batch();  // warm the stack pool
  Clock::time_point start = Clock::now();
  for (int r = 0; r < repeats; ++r) one_batch();
  double elapsed = seconds_since(start);
  if (sum < 0) std::puts("");
  return elapsed * 1e9 / static_cast<double>(batch * repeats);
}

// ---- memory ----

// Where stacks cannot be mapped in batches (kernels before 6.13, see
// green/stack.hpp), 100,000 guard-paged stacks are 200,000 mappings: more than
// the default vm.max_map_count (65530). Raise it when we may; say what happened.
void ensure_map_count(long wanted) {
  long current = 0;
  {
    std::ifstream in("/proc/sys/vm/max_map_count");
    in >> current;
  }
  if (current >= wanted) return;
  if (geteuid() == 0) {
    std::ofstream out("/proc/sys/vm/max_map_count");
    out << 262144 << "\n";
    out.close();
    std::ifstream in("/proc/sys/vm/max_map_count");
    long now = 0;
    in >> now;
    if (now >= wanted) {
      std::printf("  (raised vm.max_map_count from %ld to %ld for the stacks' guard pages)\n",
                  current, now);
      return;
    }
  }
  std::printf(
      "  (vm.max_map_count is %ld, below the %ld mappings needed; run as root or "
      "sysctl -w vm.max_map_count=262144)\n",
      current, wanted);
}

struct ParkedResult {
  long rss_before_kib;
  long rss_after_kib;
  long pte_delta_kib;
  double park_seconds;
  double teardown_seconds;
};

// `count` greenlets each parked on its own Waiter; RSS before and after.
ParkedResult parked_greenlets(int count) {
  ParkedResult result{};
  Clock::time_point teardown_start;
  {
    green::Hub hub;
    std::vector<green::Waiter*> waiters(static_cast<std::size_t>(count), nullptr);
    std::vector<green::Greenlet::Ptr> greenlets;
    greenlets.reserve(static_cast<std::size_t>(count));
    green::spawn([] {})->join();  // the hub's own stack and first-use allocations
    result.rss_before_kib = status_kib("VmRSS");
    long pte_before = status_kib("VmPTE");

    Clock::time_point start = Clock::now();
    for (int i = 0; i < count; ++i) {
      greenlets.push_back(green::spawn([&waiters, i] {
        green::Waiter waiter;
        waiters[static_cast<std::size_t>(i)] = &waiter;
        waiter.wait();
      }));
    }
    green::sleep(0);  // every one runs up to its park
    result.park_seconds = seconds_since(start);
    result.rss_after_kib = status_kib("VmRSS");
    result.pte_delta_kib = status_kib("VmPTE") - pte_before;

    teardown_start = Clock::now();
    for (green::Waiter* waiter : waiters) waiter->wake();
    green::joinall(greenlets);
  }
  result.teardown_seconds = seconds_since(teardown_start);
  return result;
}

#if defined(GREEN_MICRO_HAS_SERVER)
// ---- a StreamServer holding idle connections ----

// Raises RLIMIT_NOFILE's soft limit to the hard one; returns the new soft limit.
long raise_fd_limit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<long>(limit.rlim_cur);
}

// The client side, in a forked child (so server and clients each have the whole fd
// limit): plain blocking sockets, no hub. Opens `count` connections, reports on
// `ready_fd`, holds them until `stop_fd` is readable (or closed), then exits.
[[noreturn]] void run_clients(std::uint16_t port, int count, int ready_fd, int stop_fd) {
  std::vector<int> fds;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      break;
    }
    fds.push_back(fd);
  }
  int opened = static_cast<int>(fds.size());
  ssize_t ignored = ::write(ready_fd, &opened, sizeof opened);
  char byte;
  ignored = ::read(stop_fd, &byte, 1);
  (void)ignored;
  _exit(0);
}

void server_part(int count) {
  print_header("StreamServer holding idle connections");
  long fd_limit = raise_fd_limit();
  if (fd_limit < count + 100) {
    std::printf("  skipped: RLIMIT_NOFILE is %ld, %d connections need more\n", fd_limit, count);
    return;
  }
  green::Hub hub;
  std::size_t served = 0;
  auto idle = [&served](green::Socket& connection, const green::Endpoint&) {
    ++served;
    char byte;
    connection.recv(std::span<char>(&byte, 1));  // parked until the client leaves
  };
  green::StreamServer server("127.0.0.1", 0, idle, static_cast<std::size_t>(count) + 100);
  server.start();
  green::sleep(0.01);  // the accept loop is parked in accept()
  long rss_before = status_kib("VmRSS");

  int ready[2];
  int stop[2];
  if (pipe(ready) != 0 || pipe(stop) != 0) return;
  Clock::time_point start = Clock::now();
  pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    close(stop[1]);
    run_clients(server.port(), count, ready[1], stop[0]);
  }
  close(ready[1]);
  close(stop[0]);
  green::wait_readable(ready[0]);
  int opened = 0;
  if (::read(ready[0], &opened, sizeof opened) != sizeof opened) opened = 0;
  // The child's connects complete in the kernel's backlog; wait until every one was
  // accepted and its handler is parked in recv.
  while (server.connections() < static_cast<std::size_t>(opened)) green::sleep(0.01);
  green::sleep(0.01);
  double setup_seconds = seconds_since(start);
  long rss_after = status_kib("VmRSS");

  close(stop[1]);  // the child exits, closing its end of every connection
  close(ready[0]);
  int status = 0;
  waitpid(child, &status, 0);
  server.stop();

  long delta = rss_after - rss_before;
  std::printf(
      "  %d idle connections (%zu handlers): VmRSS %ld -> %ld KiB (+%ld KiB), "
      "connect+accept %.2f s\n",
      opened, served, rss_before, rss_after, delta, setup_seconds);
  print_row("RSS per idle connection (server side)",
            opened > 0 ? static_cast<double>(delta) / opened : 0.0, "KiB");
}
#endif

struct Settings {
  int runs;
  long rounds;  // switches per switch measurement
  bool quick;
};

void switch_part(const Settings& s) {
  print_header("context switch");
  print_row("raw Boost.Context fiber resume",
            median_of(s.runs, [&] { return raw_fiber_switch_ns(s.rounds); }), "ns per switch");
  print_row("green switch_context (+ EH state save)",
            median_of(s.runs, [&] { return green_context_switch_ns(s.rounds); }), "ns per switch");
  print_row("sleep(0) yield, 2 greenlets",
            median_of(s.runs, [&] { return sleep0_yield_ns(2, s.rounds / 2); }), "ns per yield");
  print_row("sleep(0) yield, 1000 greenlets",
            median_of(s.runs, [&] { return sleep0_yield_ns(1000, s.rounds / 1000); }),
            "ns per yield");
  print_row("sleep(0) yield, 2 greenlets, 1 fd watched",
            median_of(s.runs, [&] { return sleep0_yield_ns(2, s.rounds / 2, true); }),
            "ns per yield");
  print_row("sleep(0) yield, 1000 greenlets, 1 fd watched",
            median_of(s.runs, [&] { return sleep0_yield_ns(1000, s.rounds / 1000, true); }),
            "ns per yield");
  print_row("Waiter wake/wait handoff, 2 greenlets",
            median_of(s.runs, [&] { return waiter_handoff_ns(s.rounds / 2); }), "ns per handoff");
}

void spawn_part(const Settings& s) {
  print_header("spawn + join");
  print_row("spawn(fn)->join(), one at a time",
            median_of(s.runs, [&] { return spawn_join_ns(s.rounds / 4); }), "ns per greenlet");
  print_row("spawn 1000, joinall",
            median_of(s.runs, [&] { return spawn_batch_joinall_ns(1000, s.quick ? 50 : 500); }),
            "ns per greenlet");
}

void parked_part() {
  const int parked = 100000;
  print_header("memory per parked greenlet");
  ensure_map_count(2L * parked + 1000);
  ParkedResult memory = parked_greenlets(parked);
  long delta = memory.rss_after_kib - memory.rss_before_kib;
  std::printf("  %d parked: VmRSS %ld -> %ld KiB (+%ld KiB)\n", parked, memory.rss_before_kib,
              memory.rss_after_kib, delta);
  print_row("RSS per parked greenlet", static_cast<double>(delta) / parked, "KiB");
  std::printf(
      "  (page tables, not in VmRSS: +%ld KiB = %.2f KiB per greenlet; spawn+park "
      "%.2f s, wake+join+teardown %.2f s)\n",
      memory.pte_delta_kib, static_cast<double>(memory.pte_delta_kib) / parked, memory.park_seconds,
      memory.teardown_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  // --quick: fewer rounds and runs. --only=<part>: switch, spawn, parked, server; or
  // yield / spawnjoin: one un-repeated run of that loop, for valgrind --tool=callgrind.
  bool quick = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") quick = true;
    if (arg.rfind("--only=", 0) == 0) only = arg.substr(7);
  }
  Settings settings{quick ? 3 : 7, quick ? 200000L : 2000000L, quick};
  if (only == "yield") {
    print_row("sleep(0) yield, 2 greenlets", sleep0_yield_ns(2, settings.rounds / 2), "ns");
    return 0;
  }
  if (only == "spawnjoin") {
    print_row("spawn(fn)->join()", spawn_join_ns(settings.rounds / 4), "ns");
    return 0;
  }
  auto wanted = [&](const char* part) { return only.empty() || only == part; };

  std::printf("green_micro: medians of %d runs%s\n", settings.runs, quick ? " (--quick)" : "");
  if (wanted("switch")) switch_part(settings);
  if (wanted("spawn")) spawn_part(settings);
  if (wanted("parked")) parked_part();
#if defined(GREEN_MICRO_HAS_SERVER)
  if (wanted("server")) server_part(10000);
#else
  if (wanted("server")) print_header("StreamServer: skipped (no green/server.hpp yet)");
#endif
  return 0;
}
