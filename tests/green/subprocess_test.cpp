// Tests of green::Popen with real child processes (/bin/sh, cat, sleep): the hub
// keeps running greenlets while a child runs, exit codes and signals, communicate
// round trips, timeouts measured on the hub clock, kill/terminate, and cleanup.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <vector>

#include "green/green.hpp"
#include "green/socket.hpp"
#include "green/subprocess.hpp"

namespace {

green::Popen shell(const std::string& script, green::Popen::Options options = {}) {
  return green::Popen({"/bin/sh", "-c", script}, options);
}

green::Popen::Options piped(bool in, bool out, bool err) {
  green::Popen::Options options;
  if (in) options.in = green::Stdio::pipe;
  if (out) options.out = green::Stdio::pipe;
  if (err) options.err = green::Stdio::pipe;
  return options;
}

}  // namespace

TEST_CASE("a greenlet keeps ticking while a child process runs", "[subprocess]") {
  green::Hub hub;
  int ticks = 0;
  auto ticker = green::spawn([&] {
    while (true) {
      green::sleep(0.01);
      ++ticks;
    }
  });
  double start = hub.now();
  green::Popen child = shell("sleep 0.3");
  CHECK(child.pid() > 0);
  std::optional<int> code = child.wait();
  double elapsed = hub.now() - start;
  CHECK(code == 0);
  CHECK(child.returncode() == 0);
  CHECK(elapsed >= 0.25);  // sleep(1)'s own clock, not ours: a little slack
  // The hub ran the ticker all along: about elapsed / 0.01 ticks (>= a third of that
  // even on a slow, sanitized build); a blocking waitpid would have allowed none.
  CHECK(ticks >= static_cast<int>(elapsed / 0.01 / 3));
  CHECK(ticks >= 8);
  ticker->kill();
}

TEST_CASE("exit codes and deaths by signal", "[subprocess]") {
  green::Hub hub;
  CHECK(shell("exit 0").wait(10.0) == 0);
  CHECK(shell("exit 3").wait(10.0) == 3);
  CHECK(shell("exit 255").wait(10.0) == 255);
  CHECK(shell("kill -TERM $$").wait(10.0) == -SIGTERM);
  CHECK(green::Popen({"true"}).wait(10.0) == 0);  // found through PATH
  CHECK(green::Popen({"false"}).wait(10.0) == 1);
}

TEST_CASE("poll reports running, then the exit code", "[subprocess]") {
  green::Hub hub;
  green::Popen child = shell("read line; exit 7", piped(true, false, false));
  CHECK_FALSE(child.poll().has_value());
  CHECK_FALSE(child.returncode().has_value());
  child.close_stdin();  // `read` gets EOF
  CHECK(child.wait(10.0) == 7);
  CHECK(child.poll() == 7);
}

TEST_CASE("communicate round trip through cat", "[subprocess]") {
  green::Hub hub;
  // Larger than a pipe buffer both ways: writing and reading must interleave.
  std::string input;
  for (int i = 0; input.size() < 1024 * 1024; ++i) input += "line " + std::to_string(i) + "\n";
  green::Popen cat({"cat"}, piped(true, true, false));
  green::Popen::Output output = cat.communicate(input, 30.0);
  CHECK(output.out.size() == input.size());
  CHECK(output.out == input);
  CHECK(output.err.empty());
  CHECK(cat.returncode() == 0);
  CHECK(cat.stdin_fd() == -1);
  CHECK(cat.stdout_fd() == -1);
}

TEST_CASE("communicate separates stdout and stderr", "[subprocess]") {
  green::Hub hub;
  green::Popen child = shell("echo out; echo err >&2; exit 4", piped(false, true, true));
  green::Popen::Output output = child.communicate({}, 10.0);
  CHECK(output.out == "out\n");
  CHECK(output.err == "err\n");
  CHECK(child.returncode() == 4);
}

TEST_CASE("a child that ignores its input is not an error", "[subprocess]") {
  green::Hub hub;
  green::Popen child = shell("exec 0<&-; echo done", piped(true, true, false));
  std::string input(4 * 1024 * 1024, 'i');  // cannot fit in the pipe: EPIPE, not SIGPIPE
  green::Popen::Output output = child.communicate(input, 10.0);
  CHECK(output.out == "done\n");
  CHECK(child.returncode() == 0);
}

TEST_CASE("environment, working directory and /dev/null", "[subprocess]") {
  green::Hub hub;
  green::Popen::Options options = piped(false, true, false);
  options.env = std::vector<std::string>{"GREEN_TEST=hello", "PATH=/usr/bin:/bin"};
  options.cwd = "/";
  options.in = green::Stdio::devnull;
  green::Popen child = shell("echo \"$GREEN_TEST $(pwd)\"; cat; echo end", options);
  CHECK(child.communicate({}, 10.0).out == "hello /\nend\n");
  CHECK(child.returncode() == 0);
}

TEST_CASE("the child inherits none of our descriptors", "[subprocess]") {
  green::Hub hub;
  green::Socket listener = green::Socket::listen("127.0.0.1", 0);
  const std::string fd = std::to_string(listener.fd());
  green::Popen child =
      shell("if [ -e /proc/$$/fd/" + fd + " ]; then echo leaked; else echo clean; fi",
            piped(false, true, false));
  CHECK(child.communicate({}, 10.0).out == "clean\n");
}

TEST_CASE("wait times out on the hub clock and the child runs on", "[subprocess][timeout]") {
  green::Hub hub;
  green::Popen child({"sleep", "30"});
  double start = hub.now();
  CHECK_FALSE(child.wait(0.2).has_value());
  double elapsed = hub.now() - start;
  CHECK(elapsed >= 0.2);
  CHECK(elapsed < 5.0);
  CHECK_FALSE(child.poll().has_value());
  child.kill();
  CHECK(child.wait(10.0) == -SIGKILL);
}

TEST_CASE("terminate ends a child with SIGTERM", "[subprocess]") {
  green::Hub hub;
  green::Popen child({"sleep", "30"});
  child.terminate();
  CHECK(child.wait(10.0) == -SIGTERM);
  child.kill();  // after reaping: does nothing
}

TEST_CASE("communicate timeout keeps the output for a retry", "[subprocess][timeout]") {
  green::Hub hub;
  green::Popen child = shell("echo partial; exec sleep 30", piped(false, true, false));
  double start = hub.now();
  CHECK_THROWS_AS(child.communicate({}, 0.3), green::TimeoutExpired);
  CHECK(hub.now() - start >= 0.3);
  CHECK_FALSE(child.poll().has_value());  // still running
  child.kill();
  green::Popen::Output output = child.communicate({}, 10.0);
  CHECK(output.out == "partial\n");
  CHECK(child.returncode() == -SIGKILL);
}

TEST_CASE("a program that cannot start throws naming it", "[subprocess]") {
  green::Hub hub;
  try {
    green::Popen({"/nonexistent/green-test-program"});
    FAIL("spawned a missing program");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::no_such_file_or_directory);
    CHECK_THAT(e.what(), Catch::Contains("/nonexistent/green-test-program"));
  }
  CHECK_THROWS_AS(green::Popen(std::vector<std::string>{}), green::UsageError);
  CHECK_THROWS_AS(green::Popen({"true"}).communicate("input without a pipe"), green::UsageError);
}

TEST_CASE("killing a greenlet blocked in wait leaves no watch behind", "[subprocess]") {
  green::Hub hub;
  green::Popen child({"sleep", "30"});
  bool reached = false;
  auto waiter = green::spawn([&] {
    reached = true;
    child.wait();
  });
  green::sleep(0);
  REQUIRE(reached);
  waiter->kill();
  CHECK(waiter->dead());
  green::Waiter nothing;
  CHECK_THROWS_AS(nothing.wait(), green::LoopExit);  // no pidfd watch is left
  child.kill();
  CHECK(child.wait(10.0) == -SIGKILL);
}

TEST_CASE("several greenlets wait for several children concurrently", "[subprocess]") {
  green::Hub hub;
  std::vector<green::Greenlet::Ptr> waiters;
  std::vector<int> codes(5, -100);
  double start = hub.now();
  for (int i = 0; i < 5; ++i) {
    waiters.push_back(green::spawn([&codes, i] {
      green::Popen child = shell("sleep 0.2; exit " + std::to_string(i));
      codes[i] = child.wait(10.0).value_or(-1);
    }));
  }
  green::joinall(waiters, 20.0, true);
  CHECK(codes == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(hub.now() - start < 0.2 * 5);  // concurrent, not one after another
}

TEST_CASE("destroying a Popen kills and reaps a child still running", "[subprocess]") {
  green::Hub hub;
  pid_t pid = -1;
  {
    green::Popen child({"sleep", "30"});
    pid = child.pid();
    CHECK(::kill(pid, 0) == 0);
  }
  // Reaped, not a zombie: the pid no longer exists for us.
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}
