// Job's fetch workers, against the loopback HTTP server: a worker serves URL after
// URL, at most --pool of them start and only as many as the input needs, and an
// interrupt stops the idle ones (waiting on a stdin that stays open) so the run ends.
#include "fetch/job.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "green/green.hpp"
#include "support/http_server.hpp"

namespace {

// Runs `job` with its standard output (the result lines) going to a file; returns them.
std::vector<std::string> run_capturing(gfetch::Job& job, gfetch::Outcome& outcome) {
  char path[] = "/tmp/gfetch-job-test.XXXXXX";
  int file = ::mkstemp(path);
  REQUIRE(file >= 0);
  ::unlink(path);
  int saved = ::dup(STDOUT_FILENO);
  ::dup2(file, STDOUT_FILENO);
  outcome = job.run();
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  std::string text;
  char buffer[4096];
  ::lseek(file, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(file, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(file);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

gfetch::Options quiet_options(std::size_t pool) {
  gfetch::Options options;
  options.pool = pool;
  options.output.summary = false;
  options.output.quiet = true;
  return options;
}

std::size_t count_ok(const std::vector<std::string>& lines) {
  std::size_t ok = 0;
  for (const std::string& line : lines) ok += line.find("\t200\t") != std::string::npos;
  return ok;
}

}  // namespace

TEST_CASE("Job: --pool workers serve every URL in turn, no more of them at once") {
  testing::HttpServer server;
  gfetch::Options options = quiet_options(3);
  for (int i = 0; i < 30; ++i) {
    options.input.urls.push_back(server.url("/delay/" + std::to_string(10 + i % 3)));
  }
  gfetch::Job job(options);
  gfetch::Outcome outcome;
  std::vector<std::string> lines = run_capturing(job, outcome);
  CHECK(outcome.results == 30);
  CHECK(lines.size() == 30);
  CHECK(count_ok(lines) == 30);
  CHECK(outcome.workers == 3);  // each served ten URLs
  CHECK(server.stats().max_in_flight == 3);
}

TEST_CASE("Job: workers start only as the input needs them") {
  testing::HttpServer server;
  gfetch::Options options = quiet_options(1000);
  for (int i = 0; i < 4; ++i)
    options.input.urls.push_back(server.url("/bytes/8?i=" + std::to_string(i)));
  options.input.urls.push_back("ftp://example.invalid/");  // admitted and reported, not fetched
  gfetch::Job job(options);
  gfetch::Outcome outcome;
  std::vector<std::string> lines = run_capturing(job, outcome);
  CHECK(outcome.results == 5);
  CHECK(count_ok(lines) == 4);
  CHECK(outcome.workers >= 1);
  CHECK(outcome.workers <= 5);  // not --pool's 1000
}

TEST_CASE("Job: an interrupt stops workers waiting on an open stdin, and the run ends") {
  testing::HttpServer server;
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  const std::string input = server.url("/bytes/8?i=1") + "\n" + server.url("/bytes/8?i=2") + "\n";
  REQUIRE(::write(pipe_fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  gfetch::Options options = quiet_options(4);
  options.input.files.push_back("/dev/fd/" + std::to_string(pipe_fds[0]));
  // Idle workers must stop at once: were they left waiting, the run would end only
  // when the grace period (for fetches in flight) ran out, or here the deadline.
  options.timing.grace = 60;
  options.timing.deadline = 10;
  gfetch::Job job(options);
  // Interrupts once both URLs were answered (the server's count, looked at every
  // 5 ms: the client reads a response within a hub turn or two), while both workers
  // wait for a third line. Were they busy, they would stop anyway after their fetch.
  green::Greenlet::Ptr interrupter = green::spawn([&] {
    while (server.stats().requests < 2 || server.stats().in_flight > 0) green::sleep(0.005);
    job.interrupt();
  });
  gfetch::Outcome outcome;
  std::vector<std::string> lines = run_capturing(job, outcome);
  interrupter->kill();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  CHECK(outcome.interrupted);
  CHECK_FALSE(outcome.deadline);
  CHECK(outcome.results == 2);
  CHECK(count_ok(lines) == 2);
}
