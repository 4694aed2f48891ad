// fetch::Options: the high-level settings of one run, as the CLI resolved them
// from its flags. Plain values only; the Job turns them into net requests. Every
// field documents its flag and its default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fetch/formats.hpp"
#include "fetch/url_input.hpp"

namespace gfetch {

enum class HttpVersionChoice { any, http1_1, http2 };

struct HttpOptions {
  std::string method = "GET";                          // -X
  std::vector<std::string> headers;                    // -H 'Name: value', in order
  std::string user_agent;                              // -A ("" = gfetch/VERSION)
  std::optional<std::string> data;                     // -d (already read when @file)
  bool follow = true;                                  // -L / --no-location
  int max_redirects = 10;                              // --max-redirs
  bool insecure = false;                               // -k
  std::string ca_file;                                 // --cacert
  std::optional<std::string> proxy;                    // -x
  HttpVersionChoice version = HttpVersionChoice::any;  // --http1.1 / --http2
  bool compressed = false;                             // --compressed
  std::vector<std::string> resolve;                    // --resolve HOST:PORT:ADDR
  std::vector<std::string> dns_servers;                // --dns-servers a,b
  std::optional<std::uint64_t> max_filesize;           // --max-filesize
  bool fail = false;                                   // --fail: status >= 400 is a failure
};

struct TimingOptions {
  double timeout = 30;                  // -t: per attempt
  double connect_timeout = 10;          // --connect-timeout
  std::optional<double> dns_timeout;    // --dns-timeout
  std::optional<double> stall_timeout;  // --stall-timeout
  std::optional<double> deadline;       // --deadline: whole run
  int retries = 0;                      // --retries
  double retry_delay = 1;               // --retry-delay: backoff base
  double retry_max_delay = 30;          // --retry-max-delay: cap (Retry-After too)
  double grace = 5;                     // --grace: after the first SIGINT
};

struct OutputOptions {
  FormatOptions format;                   // --json, --csv, -w, or tsv/human by stdout
  bool keep_order = false;                // --keep-order
  std::optional<std::string> output_dir;  // -o
  bool progress = false;                  // resolved: stderr is a tty, or --progress
  bool summary = true;                    // -q / --no-summary clear it
  bool quiet = false;                     // -q: no per-URL stderr messages either
};

struct Options {
  InputSpec input;
  std::size_t pool = 50;       // -p
  std::size_t per_host = 0;    // --per-host (0: no per-host limit)
  std::optional<double> rate;  // --rate, starts per second
  std::uint32_t rate_burst = 1;
  HttpOptions http;
  TimingOptions timing;
  OutputOptions output;
};

}  // namespace gfetch
