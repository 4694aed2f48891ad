// The run of one job (see job.hpp): reader -> bounded queue -> up to --pool fetch
// workers -> report; stopping (deadline, signals, closed stdout) and the end.
#include "fetch/job.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fetch/fetcher.hpp"
#include "fetch/formats.hpp"
#include "fetch/interrupts.hpp"
#include "fetch/output_dir.hpp"
#include "fetch/progress.hpp"
#include "fetch/rate_limiter.hpp"
#include "fetch/report.hpp"
#include "fetch/stdout_sink.hpp"
#include "fetch/url_input.hpp"
#include "green/event.hpp"
#include "green/group.hpp"
#include "green/hub.hpp"
#include "green/queue.hpp"
#include "green/timer.hpp"
#include "net/client.hpp"

namespace gfetch {
namespace {

constexpr std::size_t kQueueSize = 1024;    // URLs read ahead of the pool
constexpr double kTick = 0.1;               // progress redraw and stdout flush period
constexpr std::size_t kHeldPerWorker = 16;  // --keep-order: results held, per pool slot

net::Client::Options client_options(const Options& options) {
  net::Client::Options out;
  out.resolver.servers = options.http.dns_servers;
  if (options.timing.dns_timeout) out.resolver.timeout = *options.timing.dns_timeout;
  if (!options.http.user_agent.empty()) out.user_agent = options.http.user_agent;
  out.expected_in_flight = options.pool;
  return out;
}

void write_stderr(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

class Job::Run {
 public:
  explicit Run(const Options& options)
      : options_(options),
        hub_(green::get_hub()),
        output_dir_(options.output.output_dir
                        ? std::make_unique<OutputDir>(*options.output.output_dir)
                        : nullptr),
        rate_(options.rate ? std::make_unique<RateLimiter>(*options.rate, options.rate_burst)
                           : nullptr),
        client_(hub_, client_options(options)),
        fetcher_(client_, options_, rate_.get(), output_dir_.get()),
        out_(STDOUT_FILENO, is_terminal(STDOUT_FILENO)),
        progress_(STDERR_FILENO, options.output.progress),
        report_(options.output.format, options.output.keep_order, out_, progress_,
                options.output.progress && is_terminal(STDOUT_FILENO)),
        reader_(options.input),
        queue_(kQueueSize),
        held_limit_(kHeldPerWorker * options.pool),
        grace_timer_(hub_, [this] { cancel("interrupted"); }),
        deadline_timer_(hub_, [this] {
          outcome_.deadline = true;
          cancel("deadline reached");
        }) {}

  Outcome run() {
    fetcher_.on_attempt([this] { stop_reusing_when_all_started(); });
    hub_.update_now();
    start_ = hub_.now();
    reading_ = services_.spawn([this] { read(); });
    ticker_ = services_.spawn([this] { tick(); });
    if (options_.timing.deadline) deadline_timer_.start(*options_.timing.deadline);
    reading_->join();  // only the reader starts workers
    workers_.join();
    if (!admitting_ && !report_.broken()) report_unstarted();
    grace_timer_.cancel();
    deadline_timer_.cancel();
    services_.kill();
    report_.finish();
    progress_.clear();
    outcome_.results = report_.summary().total();
    outcome_.failed = report_.summary().failed();
    outcome_.workers = worker_states_.size();
    record_output_failure();
    if (options_.output.summary && !outcome_.broken_pipe) {
      hub_.update_now();
      write_stderr(report_.summary().render(hub_.now() - start_));
    }
    return outcome_;
  }

  void interrupt() {
    outcome_.interrupted = true;
    if (interrupts_++ > 0) {
      cancel("interrupted");
      return;
    }
    stop_admitting();
    grace_timer_.start(options_.timing.grace);
  }

  void cancel_now() {
    outcome_.interrupted = true;
    cancel("interrupted");
  }

 private:
  // Reader greenlet: input -> queue; nullopt marks the end. Starts a worker for
  // each line no worker is there to take, up to --pool of them.
  void read() {
    try {
      while (std::optional<InputLine> line = reader_.next()) {
        ++read_;
        try {
          queue_.put(std::move(line));
        } catch (const green::GreenletExit&) {
          unqueued_ = std::move(line);  // killed waiting for room: the line is still here
          throw;
        }
        // A line still queued found no idle worker (a put hands it to a waiting
        // one); workers started but not yet running will each take one.
        while (queue_.qsize() > starting_ && workers_.size() < options_.pool) start_worker();
      }
    } catch (const std::runtime_error& error) {
      outcome_.fatal = error.what();
    }
    total_ = read_;
    queue_.put(std::nullopt);
  }

  void start_worker() {
    const std::size_t id = worker_states_.size();
    ++starting_;
    worker_states_.push_back(WorkerState{});
    worker_states_[id].greenlet = workers_.spawn([this, id] { work(id); });
  }

  // Worker greenlet: admits the next URL of the queue (gives it its index), fetches
  // it and delivers its Result, then the next, until the input ends or admission
  // stops. One greenlet serves many URLs: a greenlet per URL cost ~1k instructions
  // a request more (its allocation, stack set-up, group membership and links).
  void work(std::size_t id) {
    --starting_;
    while (admitting_) {
      // Idle while it waits: stop_admitting kills it there, before it takes a line
      // (a line handed to it goes back to the queue as it unwinds), so admitted
      // indexes have no gaps.
      worker_states_[id].idle = true;
      wait_for_room();
      std::optional<InputLine> line = queue_.get();
      worker_states_[id].idle = false;
      if (!line) {
        queue_.put(std::nullopt);  // the end, for the other workers
        input_done_ = true;
        stop_reusing_when_all_started();
        return;
      }
      const std::size_t index = ++admitted_;
      if (!line->error.empty()) {
        deliver_invalid(index, std::move(*line));
        continue;
      }
      ++fetched_;
      const std::optional<net::UrlLayout> layout = line->layout;
      Result result = admit(index, std::move(*line));
      fetch_one(result, layout ? &*layout : nullptr);
    }
  }

  void deliver_invalid(std::size_t index, InputLine&& line) {
    const std::string why = std::move(line.error);
    Result result = admit(index, std::move(line));
    result.error = "invalid-url";
    result.error_message = "invalid URL: " + why;
    message(result.input.label() + ": invalid URL '" + result.url + "': " + why);
    deliver(std::move(result));
  }

  // Nothing taken from the input is lost: when the run stops early, the URLs read
  // ahead of the pool (queued, or whole lines in the reader's buffer) get a result
  // each, "cancelled" without a fetch, in input order after the admitted ones.
  void report_unstarted() {
    const std::string why =
        "not started: " + (cancel_reason_.empty() ? std::string("interrupted") : cancel_reason_);
    auto report = [&](InputLine&& line) {
      const std::size_t index = ++admitted_;
      if (!line.error.empty()) return deliver_invalid(index, std::move(line));
      Result result = admit(index, std::move(line));
      result.error = "cancelled";
      result.error_message = why;
      deliver(std::move(result));
    };
    while (!queue_.empty()) {
      std::optional<InputLine> line = queue_.get_nowait();
      if (!line) return;  // the input's end: nothing after it
      report(std::move(*line));
    }
    if (unqueued_) report(std::move(*std::exchange(unqueued_, std::nullopt)));
    while (std::optional<InputLine> line = reader_.next_buffered()) report(std::move(*line));
  }

  // Once the input is exhausted and every fetch has started its first transfer
  // (none waits for a pool slot, a host slot or a retry), a connection that goes idle
  // will not be reused: the client closes them as their transfers end (at 5,000 in
  // flight that spreads the closing over the last responses instead of the exit).
  void stop_reusing_when_all_started() {
    if (input_done_ && !reuse_stopped_ && fetcher_.first_transfers() == fetched_ &&
        fetcher_.retrying() == 0) {
      reuse_stopped_ = true;
      client_.stop_reusing_connections();
    }
  }

  static Result admit(std::size_t index, InputLine&& line) {
    Result result;
    result.index = index;
    result.url = std::move(line.url);
    result.input = line.where;
    return result;
  }

  void fetch_one(Result& result, const net::UrlLayout* layout) {
    try {
      fetcher_.fetch(result, layout);
    } catch (const green::GreenletExit&) {
      hub_.update_now();
      result.error = "cancelled";
      result.error_message = cancel_reason_;
      deliver(std::move(result));
      throw;
    } catch (const std::exception& error) {
      result.error = "error";
      result.error_message = error.what();
    }
    deliver(std::move(result));
  }

  void deliver(Result&& result) {
    report_.add(std::move(result));
    if (!room_.is_set() && report_.held() < held_limit_) room_.set();
    stop_if_output_failed();
  }

  // --keep-order holds the results that finish before an earlier one. Past
  // held_limit_ of them, workers take no new URL until the earliest is written:
  // however long one fetch takes, memory stays bounded (the pool idles instead).
  void wait_for_room() {
    while (report_.held() >= held_limit_) {
      room_.clear();
      room_.wait();
    }
  }

  // Results that cannot be written end the run: quietly when stdout's reader went
  // away (EPIPE: `| head`), with an error when the write failed (a full disk).
  void stop_if_output_failed() {
    if (!out_.broken() || output_failed_) return;
    output_failed_ = true;
    hub_.run_callback([this] {
      cancel(out_.error() == EPIPE ? "standard output closed" : "standard output failed");
    });
  }

  void record_output_failure() {
    if (!out_.broken()) return;
    if (out_.error() == EPIPE) {
      outcome_.broken_pipe = true;
    } else if (outcome_.fatal.empty()) {
      outcome_.fatal =
          std::string("cannot write results to standard output: ") + std::strerror(out_.error());
    }
  }

  // Ticker greenlet: progress redraws and flushes of a buffered stdout.
  void tick() {
    for (;;) {
      green::sleep(kTick);
      hub_.update_now();
      progress_.update(counts(), hub_.now());
      if (out_.pending() > 0) out_.flush();
      stop_if_output_failed();
    }
  }

  ProgressCounts counts() const {
    ProgressCounts counts;
    counts.done = report_.summary().total();
    if (total_) counts.total = *total_;
    counts.bytes = report_.summary().bytes();
    counts.failures = report_.summary().failed();
    counts.in_flight = fetcher_.in_flight();
    return counts;
  }

  // A line on stderr. It quotes input, so its control bytes are written as %XX:
  // an escape sequence in a URL list must not reach the terminal.
  void message(const std::string& text) {
    if (options_.output.quiet) return;
    progress_.clear();
    write_stderr("gfetch: " + tsv_clean(text) + "\n");
  }

  void stop_admitting() {
    if (!admitting_) return;
    admitting_ = false;
    if (reading_) reading_->kill(false);
    for (const WorkerState& worker : worker_states_) {
      if (worker.idle) worker.greenlet->kill(false);
    }
  }

  // Stops admitting and cancels every fetch in flight; each still gets its line.
  void cancel(const std::string& reason) {
    stop_admitting();
    if (cancel_reason_.empty()) cancel_reason_ = reason;
    workers_.kill(false);
  }

  const Options& options_;
  green::Hub& hub_;
  std::unique_ptr<OutputDir> output_dir_;
  std::unique_ptr<RateLimiter> rate_;
  net::Client client_;
  Fetcher fetcher_;
  StdoutSink out_;
  Progress progress_;
  Report report_;
  UrlReader reader_;
  green::Queue<std::optional<InputLine>> queue_;
  const std::size_t held_limit_;       // see wait_for_room
  green::Event room_;                  // set when fewer than held_limit_ results are held
  std::optional<InputLine> unqueued_;  // read, then the reader was killed before queueing it
  struct WorkerState {
    green::Greenlet::Ptr greenlet;
    bool idle = false;  // waiting for a line
  };
  std::vector<WorkerState> worker_states_;  // by worker id, in start order
  green::Group workers_;                    // the live ones
  std::size_t starting_ = 0;                // started, not yet run
  green::Group services_;
  green::Greenlet::Ptr reading_;
  green::Greenlet::Ptr ticker_;
  green::Timer grace_timer_;
  green::Timer deadline_timer_;
  Outcome outcome_;
  double start_ = 0;
  std::size_t read_ = 0;
  std::optional<std::size_t> total_;
  std::size_t admitted_ = 0;
  std::size_t fetched_ = 0;  // admitted URLs that were valid (each is fetched)
  bool input_done_ = false;
  bool reuse_stopped_ = false;
  bool admitting_ = true;
  bool output_failed_ = false;  // stdout broke; the run is being stopped
  int interrupts_ = 0;
  std::string cancel_reason_;
};

Job::Job(Options options) : options_(std::move(options)) {}

Job::~Job() = default;

Outcome Job::run() {
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE result, not a death
  try {
    state_ = std::make_unique<Run>(options_);
  } catch (const std::exception& error) {
    Outcome outcome;
    outcome.fatal = error.what();
    return outcome;
  }
  run_ = state_.get();
  Interrupts interrupts(*this);
  Outcome outcome = run_->run();
  run_ = nullptr;
  return outcome;
}

void Job::interrupt() {
  if (run_) run_->interrupt();
}

void Job::cancel_now() {
  if (run_) run_->cancel_now();
}

}  // namespace gfetch
