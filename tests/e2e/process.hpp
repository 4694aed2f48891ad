// Runs the built gfetch (GFETCH_BINARY) as a child process for the end-to-end
// tests: arguments, standard input from a string or a file, stdout and stderr
// collected while it runs (so a test can wait for output, then send a signal),
// and the exit status (128+N when killed by signal N); optionally an open-file limit
// of its own.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace e2e {

// RLIMIT_NOFILE for the child: soft and hard.
struct OpenFiles {
  rlim_t soft;
  rlim_t hard;
};

struct Finished {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
  double seconds = 0;
};

class Gfetch {
 public:
  // Starts `GFETCH_BINARY args...`. `input` is written to its stdin (then closed);
  // with `stdin_path`, stdin is that file instead; with `open_files`, the child runs
  // under that open-file limit.
  explicit Gfetch(const std::vector<std::string>& args, std::string input = "",
                  const std::string& stdin_path = "", const OpenFiles* open_files = nullptr)
      : input_(std::move(input)), start_(std::chrono::steady_clock::now()) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
      throw std::runtime_error("pipe");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      if (stdin_path.empty()) {
        ::dup2(in[0], 0);
      } else {
        int fd = ::open(stdin_path.c_str(), O_RDONLY);
        ::dup2(fd, 0);
      }
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      if (open_files != nullptr) {
        const rlimit limit{open_files->soft, open_files->hard};
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
      }
      ::signal(SIGPIPE, SIG_DFL);
      ::signal(SIGINT, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      std::vector<char*> argv;
      std::string binary = GFETCH_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (std::string& arg : copy) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    if (!stdin_path.empty() || input_.empty()) close_stdin();
    if (in_ >= 0) ::fcntl(in_, F_SETFL, O_NONBLOCK);
  }
  ~Gfetch() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  Gfetch(const Gfetch&) = delete;
  Gfetch& operator=(const Gfetch&) = delete;

  // Pumps stdin/stdout/stderr until `done()` holds or `timeout` seconds pass;
  // returns done().
  bool pump_until(const std::function<bool()>& done, double timeout) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      if (!pump(20) && out_ < 0 && err_ < 0) return done();
    }
    return true;
  }
  void signal(int number) { ::kill(pid_, number); }
  const std::string& out() const { return finished_.out; }
  const std::string& err() const { return finished_.err; }

  // Waits for the exit (killing it after `timeout` seconds) and returns everything.
  Finished wait(double timeout = 120) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
    while (out_ >= 0 || err_ >= 0) {
      if (std::chrono::steady_clock::now() > until) {
        ::kill(pid_, SIGKILL);
        break;
      }
      pump(50);
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    finished_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    finished_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return finished_;
  }

 private:
  void close_stdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }
  // One poll round; false when nothing is open any more.
  bool pump(int milliseconds) {
    pollfd fds[3];
    int n = 0;
    if (in_ >= 0) fds[n++] = {in_, POLLOUT, 0};
    if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
    if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
    if (n == 0) return false;
    ::poll(fds, static_cast<nfds_t>(n), milliseconds);
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_) {
        ssize_t wrote = ::write(in_, input_.data() + written_, input_.size() - written_);
        if (wrote > 0) written_ += static_cast<std::size_t>(wrote);
        if (wrote < 0 && errno != EAGAIN) written_ = input_.size();
        if (written_ == input_.size()) close_stdin();
        continue;
      }
      char buffer[65536];
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      bool is_out = fds[i].fd == out_;
      if (got > 0) {
        (is_out ? finished_.out : finished_.err).append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        (is_out ? out_ : err_) = -1;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  bool reaped_ = false;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string input_;
  std::size_t written_ = 0;
  std::chrono::steady_clock::time_point start_;
  Finished finished_;
};

// Runs gfetch to completion.
inline Finished run(const std::vector<std::string>& args, const std::string& input = "") {
  Gfetch child(args, input);
  return child.wait();
}

// Runs a shell command line (bash -c) and returns its status and output.
inline Finished shell(const std::string& command) {
  std::string wrapped = "bash -c '" + command + "' 2>&1";
  Finished result;
  FILE* pipe = ::popen(wrapped.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen");
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace e2e
