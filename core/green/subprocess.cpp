// Popen: posix_spawnp with pipes made here, a pidfd (pidfd_open(2)) the calling
// greenlet waits on with wait_readable, and communicate() as one greenlet that
// parks on all of its pipes at once. waitpid only ever runs with WNOHANG, except
// in the destructor right after SIGKILL.
#include "green/subprocess.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <utility>

#include "green/exceptions.hpp"
#include "green/greenlet.hpp"
#include "green/hub.hpp"
#include "green/io.hpp"
#include "green/waiter.hpp"

namespace green {
namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// glibc has no wrapper before 2.36 and the headers may lack SYS_pidfd_open.
int open_pidfd(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int returncode_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return status;
}

// write(2) to a pipe whose reader may be gone, without SIGPIPE: block it for the
// call, and consume the one the call raised (unless one was pending already).
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t sigpipe;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &sigpipe, &old_mask);
  ssize_t written = ::write(fd, data, size);
  const int saved = errno;
  if (written < 0 && saved == EPIPE && !was_pending) {
    const timespec zero{};
    while (sigtimedwait(&sigpipe, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved;
  return written;
}

// The child side of one standard stream in posix_spawn's file actions.
int add_stdio(posix_spawn_file_actions_t& actions, int target, Stdio mode, int child_end) {
  switch (mode) {
    case Stdio::inherit:
      return 0;
    case Stdio::pipe:
      return posix_spawn_file_actions_adddup2(&actions, child_end, target);
    case Stdio::devnull:
      return posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                              target == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  return EINVAL;
}

struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    close_fd(read);
    close_fd(write);
  }
};

void open_pipe(Pipe& pipe, const std::string& program) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "spawn " + program + ": pipe");
  pipe.read = fds[0];
  pipe.write = fds[1];
}

int take_nonblocking(int& fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return std::exchange(fd, -1);
}

}  // namespace

TimeoutExpired::TimeoutExpired(const std::string& program, double seconds)
    : std::runtime_error("green: '" + program + "' did not finish within " +
                         std::to_string(seconds) + " seconds"),
      seconds_(seconds) {}

Popen::Popen(std::vector<std::string> argv, Options options) {
  if (argv.empty()) throw UsageError("green: Popen needs a program to run");
  program_ = argv.front();
  Pipe in, out, err;
  if (options.in == Stdio::pipe) open_pipe(in, program_);
  if (options.out == Stdio::pipe) open_pipe(out, program_);
  if (options.err == Stdio::pipe) open_pipe(err, program_);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int error = add_stdio(actions, 0, options.in, in.read);
  if (error == 0) error = add_stdio(actions, 1, options.out, out.write);
  if (error == 0) error = add_stdio(actions, 2, options.err, err.write);
  if (error == 0 && options.cwd) {
    error = posix_spawn_file_actions_addchdir_np(&actions, options.cwd->c_str());
  }
  // A clean slate for the child: nothing blocked, every signal at its default
  // (libevent's handlers and any SIG_IGN of ours are not the child's business).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  std::vector<std::string> env_strings = options.env.value_or(std::vector<std::string>{});
  std::vector<char*> env;
  for (std::string& entry : env_strings) env.push_back(entry.data());
  env.push_back(nullptr);
  char** envp = options.env ? env.data() : environ;

  pid_t pid = -1;
  if (error == 0) {
    error = posix_spawnp(&pid, program_.c_str(), &actions, &attributes, args.data(), envp);
  }
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw_errno(error, "spawn " + program_);

  pid_ = pid;
  stdin_fd_ = options.in == Stdio::pipe ? take_nonblocking(in.write) : -1;
  stdout_fd_ = options.out == Stdio::pipe ? take_nonblocking(out.read) : -1;
  stderr_fd_ = options.err == Stdio::pipe ? take_nonblocking(err.read) : -1;
  stdin_piped_ = options.in == Stdio::pipe;
  // The child cannot be reaped (so its pid not reused) before we wait: no race.
  pidfd_ = open_pidfd(pid);
}

Popen::~Popen() {
  close_stdin();
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  if (pid_ > 0 && !reap(false)) {
    ::kill(pid_, SIGKILL);
    reap(true);  // SIGKILL cannot be caught: the wait is short
  }
  close_fd(pidfd_);
}

void Popen::close_stdin() noexcept {
  close_fd(stdin_fd_);
}

bool Popen::reap(bool block) noexcept {
  if (returncode_) return true;
  int status = 0;
  pid_t reaped = -1;
  do {
    reaped = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == 0) return false;
  // ECHILD: reaped behind our back (SIGCHLD set to SIG_IGN); the status is lost and,
  // like Python, we report 0.
  returncode_ = reaped > 0 ? returncode_of(status) : 0;
  close_fd(pidfd_);
  return true;
}

std::optional<int> Popen::poll() {
  reap(false);
  return returncode_;
}

std::optional<int> Popen::wait(std::optional<double> timeout) {
  if (reap(false)) return returncode_;
  Hub& hub = Hub::current();
  std::optional<double> deadline;
  if (timeout) deadline = hub.now() + *timeout;
  double backoff = 0.001;  // only without pidfd (kernels before 5.3)
  while (!reap(false)) {
    std::optional<double> remaining;
    if (deadline) {
      remaining = *deadline - hub.now();
      if (*remaining <= 0) return std::nullopt;
    }
    if (pidfd_ >= 0) {
      if (!wait_readable(pidfd_, remaining)) return poll();
    } else {
      green::sleep(std::min(backoff, remaining.value_or(backoff)));
      backoff = std::min(backoff * 2, 0.05);
    }
  }
  return returncode_;
}

Popen::Output Popen::communicate(std::string_view input, std::optional<double> timeout) {
  if (!input.empty() && !stdin_piped_) {
    throw UsageError("green: communicate() with input needs Stdio::pipe for stdin");
  }
  Hub& hub = Hub::current();
  std::optional<double> deadline;
  if (timeout) deadline = hub.now() + *timeout;
  communicate_pipes(input, deadline, timeout);
  std::optional<double> remaining;
  if (deadline) remaining = std::max(0.0, *deadline - hub.now());
  if (!wait(remaining)) throw TimeoutExpired(program_, timeout.value_or(0));
  Output output{std::move(out_), std::move(err_)};
  out_.clear();
  err_.clear();
  return output;
}

void Popen::communicate_pipes(std::string_view input, std::optional<double> deadline,
                              std::optional<double> timeout) {
  if (stdin_fd_ >= 0 && input_sent_ >= input.size()) close_stdin();
  // One waiter for all pipes: whichever becomes ready wakes it (a cooperative
  // select). Watchers run only while we wait, and go before their fd is closed.
  Waiter* waiting = nullptr;
  auto wake = [&waiting](int) {
    if (waiting != nullptr) waiting->wake();
  };
  std::optional<IoWatcher> in_watch, out_watch, err_watch;
  if (stdin_fd_ >= 0) in_watch.emplace(stdin_fd_, wake);
  if (stdout_fd_ >= 0) out_watch.emplace(stdout_fd_, wake);
  if (stderr_fd_ >= 0) err_watch.emplace(stderr_fd_, wake);
  std::string buffer(64 * 1024, '\0');  // on the heap: greenlet stacks are small

  // One read; true if it made progress (data, EOF or EINTR).
  auto drain = [&](int& fd, std::optional<IoWatcher>& watch, std::string& sink) {
    if (fd < 0) return false;
    ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got > 0) {
      sink.append(buffer.data(), static_cast<std::size_t>(got));
      return true;
    }
    if (got == 0) {
      watch.reset();
      close_fd(fd);
      return true;
    }
    if (errno == EINTR) return true;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    throw_errno(errno, "read from " + program_);
  };

  while (stdin_fd_ >= 0 || stdout_fd_ >= 0 || stderr_fd_ >= 0) {
    bool progress = false;
    if (stdin_fd_ >= 0) {
      ssize_t sent =
          write_without_sigpipe(stdin_fd_, input.data() + input_sent_, input.size() - input_sent_);
      if (sent > 0) {
        input_sent_ += static_cast<std::size_t>(sent);
        progress = true;
      } else if (sent < 0 && errno == EPIPE) {
        input_sent_ = input.size();  // it exited or closed stdin: not an error
      } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        throw_errno(errno, "write to " + program_);
      }
      if (input_sent_ >= input.size()) {
        in_watch.reset();
        close_stdin();
        progress = true;
      }
    }
    progress = drain(stdout_fd_, out_watch, out_) || progress;
    progress = drain(stderr_fd_, err_watch, err_) || progress;
    if (progress) continue;

    std::optional<double> remaining;
    if (deadline) remaining = std::max(0.0, *deadline - Hub::current().now());
    Waiter waiter;
    if (in_watch) in_watch->start(IoWatcher::kWrite);
    if (out_watch) out_watch->start(IoWatcher::kRead);
    if (err_watch) err_watch->start(IoWatcher::kRead);
    waiting = &waiter;
    bool woken = false;
    try {
      woken = waiter.wait(remaining);
    } catch (...) {
      waiting = nullptr;
      throw;  // the watchers stop as they are destroyed
    }
    waiting = nullptr;
    if (in_watch) in_watch->stop();
    if (out_watch) out_watch->stop();
    if (err_watch) err_watch->stop();
    if (!woken) throw TimeoutExpired(program_, timeout.value_or(0));
  }
}

void Popen::send_signal(int signum) {
  if (returncode_ || pid_ <= 0) return;  // reaped: the pid may belong to another
  if (::kill(pid_, signum) != 0) {
    throw_errno(errno, "signal " + std::to_string(signum) + " to " + program_);
  }
}

}  // namespace green
