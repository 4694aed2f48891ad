// Cooperative child processes (gevent.subprocess.Popen): spawn a program, wait for
// it, or feed and read its pipes, suspending only the calling greenlet. Exits are
// observed through a pidfd the hub watches; nothing blocks in waitpid on the hub.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace green {

// What a child's stdin/stdout/stderr is connected to.
enum class Stdio {
  inherit,  // the parent's own fd
  pipe,     // a pipe to this process (stdin_fd()/stdout_fd()/stderr_fd())
  devnull,  // /dev/null
};

// communicate() did not finish within its timeout (Python's TimeoutExpired). The
// child is left running and the output read so far is kept: kill() the child (or
// not) and call communicate() again, with the same input, to get all of it.
class TimeoutExpired : public std::runtime_error {
 public:
  TimeoutExpired(const std::string& program, double seconds);
  double seconds() const noexcept { return seconds_; }

 private:
  double seconds_;
};

class Popen {
 public:
  struct Options {
    Stdio in = Stdio::inherit;
    Stdio out = Stdio::inherit;
    Stdio err = Stdio::inherit;
    // The child's whole environment ("NAME=value" entries); empty: ours.
    std::optional<std::vector<std::string>> env = {};
    // The child's working directory; empty: ours.
    std::optional<std::string> cwd = {};
  };
  // The output of communicate(). (Not "stdout"/"stderr": those are C macros.)
  struct Output {
    std::string out;  // empty unless Options::out is Stdio::pipe
    std::string err;  // empty unless Options::err is Stdio::pipe
  };

  // Starts argv[0] (searched in PATH when it has no '/') with arguments argv[1..].
  // Throws std::system_error naming the program if it cannot be started (ENOENT,
  // EACCES, ...); UsageError for an empty argv. The child gets default signal
  // dispositions, an empty signal mask, and none of our other fds (all CLOEXEC).
  explicit Popen(std::vector<std::string> argv, Options options);
  explicit Popen(std::vector<std::string> argv) : Popen(std::move(argv), Options{}) {}
  // Closes our pipe ends. A child still running is killed (SIGKILL) and reaped,
  // so no process or zombie outlives the object: wait() first to let it finish.
  ~Popen();
  Popen(const Popen&) = delete;
  Popen& operator=(const Popen&) = delete;

  int pid() const noexcept { return pid_; }
  // Python's returncode: the exit status, or -N if signal N ended the child; empty
  // while it runs (or before poll()/wait() noticed).
  std::optional<int> returncode() const noexcept { return returncode_; }

  // Reaps the child if it has exited, without waiting; its returncode or empty.
  std::optional<int> poll();
  // Waits up to `timeout` seconds (forever if empty) for the child to exit;
  // returns its returncode, or empty when the timeout expired first.
  std::optional<int> wait(std::optional<double> timeout = {});
  // Writes `input` to the child's stdin (then closes it) while reading its stdout
  // and stderr to EOF, then waits for it to exit. `input` needs Stdio::pipe for
  // stdin (UsageError otherwise). Throws TimeoutExpired after `timeout` seconds.
  // A child that exits without reading all its input is not an error (EPIPE is
  // swallowed, never SIGPIPE).
  Output communicate(std::string_view input = {}, std::optional<double> timeout = {});

  // kill(2) on the child; nothing once it has been reaped. Errors: std::system_error.
  void send_signal(int signum);
  void terminate() { send_signal(15); }  // SIGTERM
  void kill() { send_signal(9); }        // SIGKILL

  // Our ends of the pipes (non-blocking, owned by this object), -1 if not piped or
  // already closed. For your own cooperative I/O with green::wait_readable; note a
  // plain write(2) to a dead reader raises SIGPIPE (communicate() guards it).
  int stdin_fd() const noexcept { return stdin_fd_; }
  int stdout_fd() const noexcept { return stdout_fd_; }
  int stderr_fd() const noexcept { return stderr_fd_; }
  // Closes our end of the child's stdin: it reads EOF.
  void close_stdin() noexcept;

 private:
  bool reap(bool block) noexcept;
  void communicate_pipes(std::string_view input, std::optional<double> deadline,
                         std::optional<double> timeout);

  std::string program_;
  int pid_ = -1;
  int pidfd_ = -1;  // readable once the child exits; -1 without pidfd_open
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool stdin_piped_ = false;
  std::optional<int> returncode_;
  // communicate() state kept across a TimeoutExpired, so a retry loses nothing.
  std::size_t input_sent_ = 0;
  std::string out_;
  std::string err_;
};

}  // namespace green
