// One URL from start to Result: limits, attempts, retries, -o (see fetcher.hpp).
#include "fetch/fetcher.hpp"

#include <unistd.h>

#include <ctime>
#include <system_error>

#include "fetch/retry.hpp"
#include "fetch/url_input.hpp"
#include "green/greenlet.hpp"
#include "green/hub.hpp"
#include "net/error.hpp"

namespace gfetch {
namespace {

// One -H, as curl reads it: "Name: value" is sent, "Name;" is sent with an empty
// value, "Name:" with nothing after it removes the header (Accept, User-Agent).
void add_header(net::Request& request, const std::string& line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string::npos) {  // "Name;" (the CLI checked the form)
    request.headers.push_back({line.substr(0, line.find(';')), ""});
    return;
  }
  std::string name = line.substr(0, colon);
  const std::size_t first = line.find_first_not_of(" \t", colon + 1);
  if (first == std::string::npos) {
    request.remove_headers.push_back(std::move(name));
  } else {
    request.headers.push_back({std::move(name), line.substr(first)});
  }
}

}  // namespace

HostLimits::Slot::Slot(HostLimits& limits, std::string_view url) : limits_(limits) {
  if (limits_.per_host_ == 0) return;
  key_ = host_key(url);
  std::unique_ptr<Host>& host = limits_.hosts_[key_];
  if (!host) host = std::make_unique<Host>(limits_.per_host_);
  ++host->users;
  try {
    host->semaphore.acquire();
  } catch (...) {
    if (--host->users == 0) limits_.hosts_.erase(key_);
    throw;
  }
  held_ = true;
}

HostLimits::Slot::~Slot() {
  if (!held_) return;
  auto it = limits_.hosts_.find(key_);
  it->second->semaphore.release();
  if (--it->second->users == 0) limits_.hosts_.erase(it);
}

Fetcher::Fetcher(net::Client& client, const Options& options, RateLimiter* rate,
                 OutputDir* output_dir)
    : client_(client),
      options_(options),
      rate_(rate),
      output_dir_(output_dir),
      hosts_(options.per_host),
      random_(std::random_device{}()) {
  const HttpOptions& http = options.http;
  base_.method = http.method;
  for (const std::string& line : http.headers) add_header(base_, line);
  if (http.data) base_.body = *http.data;
  if (!http.user_agent.empty()) base_.user_agent = http.user_agent;
  base_.timeouts.total = options.timing.timeout;
  base_.timeouts.connect = options.timing.connect_timeout;
  base_.timeouts.dns = options.timing.dns_timeout;
  base_.timeouts.stall = options.timing.stall_timeout;
  base_.redirects.follow = http.follow;
  base_.redirects.max_hops = http.max_redirects;
  base_.tls.insecure = http.insecure;
  base_.tls.ca_file = http.ca_file;
  base_.proxy = http.proxy;
  switch (http.version) {
    case HttpVersionChoice::any:
      base_.http_version = net::HttpVersion::any;
      break;
    case HttpVersionChoice::http1_1:
      base_.http_version = net::HttpVersion::http1_1;
      break;
    case HttpVersionChoice::http2:
      base_.http_version = net::HttpVersion::http2;
      break;
  }
  if (http.compressed) base_.accept_encoding = "";
  base_.resolve = http.resolve;  // answered by the client on every hop, TLS names intact
  base_.max_body_size = http.max_filesize;
  base_.keep_headers = std::vector<std::string>{"Retry-After"};  // all retry_wait reads
}

std::optional<double> Fetcher::retry_wait(const net::Response& response, int attempt) {
  if (attempt > options_.timing.retries) return std::nullopt;
  bool retry = response.error ? retryable_error(response.error) : retryable_status(response.status);
  if (!retry) return std::nullopt;
  const TimingOptions& timing = options_.timing;
  if (const std::string* after = response.header("Retry-After"); after && !response.error) {
    if (std::optional<double> seconds = parse_retry_after(*after, std::time(nullptr))) {
      return std::min(*seconds, timing.retry_max_delay);
    }
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return backoff_delay(attempt, timing.retry_delay, timing.retry_max_delay, unit(random_));
}

void Fetcher::fill(Result& result, net::Response&& response) const {
  result.final_url = std::move(response.url);
  result.status = response.status;
  result.bytes = response.bytes_received;
  result.wire_bytes = response.bytes_on_wire;
  result.time_dns = response.timings.dns;
  result.time_connect = response.timings.connect;
  result.time_tls = response.timings.tls;
  result.time_first_byte = response.timings.first_byte;
  result.redirects = response.redirects;
  result.remote_ip = std::move(response.remote_ip);
  result.http_version = std::move(response.http_version);
  result.error.clear();
  result.error_message.clear();
  if (response.error) {
    result.error = net::error_kind(response.error);
    result.error_message =
        response.error_message.empty() ? response.error.message() : response.error_message;
  } else if (options_.http.fail && response.status >= 400) {
    result.error = "http-error";
    result.error_message = "HTTP status " + std::to_string(response.status);
  }
}

void Fetcher::save_to_file(Result& result, net::Request& request) {
  if (!output_dir_) return;
  if (result.file.empty()) {
    OutputDir::File file = output_dir_->create(result.url);
    ::close(file.fd);
    result.file = file.path;
  }
  request.sink = net::BodySink::file(result.file);
}

void Fetcher::fetch(Result& result, const net::UrlLayout* layout) {
  green::Hub& hub = green::get_hub();
  // The time of a fetch starts with its first attempt: the waits for a --per-host
  // slot and for --rate before it are queueing, not the server's latency.
  HostLimits::Slot host_slot(hosts_, result.url);
  struct Counted {
    std::size_t& n;
    explicit Counted(std::size_t& count) : n(count) { ++n; }
    ~Counted() { --n; }
  } counted(in_flight_);

  // One base request serves every URL; -o needs one of its own (its file sink).
  std::unique_ptr<net::Request> own;  // not on this greenlet's stack: a page each
  if (output_dir_) {
    own = std::make_unique<net::Request>(base_);
    try {
      save_to_file(result, *own);
    } catch (const std::system_error& error) {
      result.error = "write-failed";
      result.error_message = error.what();
      return;
    }
  }
  const net::Request& request = own ? *own : base_;
  struct Between {  // counts this fetch in retrying_ from a retry decision to the next try
    std::size_t& n;
    bool on = false;
    void set(bool now) {
      if (now != on) now ? ++n : --n;
      on = now;
    }
    ~Between() { set(false); }
  } between{retrying_};
  double start = 0;
  for (int attempt = 1;; ++attempt) {
    if (rate_) rate_->acquire();
    if (attempt == 1) {
      hub.update_now();
      start = hub.now();
    }
    result.attempts = attempt;
    between.set(false);
    if (attempt == 1) ++first_transfers_;
    if (on_attempt_) on_attempt_();
    std::optional<double> wait;
    try {
      net::Response response = client_.fetch(request, result.url, layout);
      wait = retry_wait(response, attempt);
      fill(result, std::move(response));
    } catch (...) {
      hub.update_now();
      result.time_total = hub.now() - start;
      throw;
    }
    result.time_total = hub.now() - start;  // fetch() read the clock as it returned
    if (!wait) break;
    between.set(true);
    green::sleep(*wait);
  }
  if (!result.file.empty() && result.bytes == 0 && !result.responded()) {
    ::unlink(result.file.c_str());
    result.file.clear();
  }
}

}  // namespace gfetch
