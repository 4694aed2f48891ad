// The progress line on stderr: done/total (total once all input is read), rate,
// bytes, failures and fetches in flight. Redrawn at most 10 times a second by the
// job's ticker, erased (not scrolled) before result lines on the same terminal and
// before the summary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gfetch {

struct ProgressCounts {
  std::uint64_t done = 0;
  std::optional<std::uint64_t> total;  // known once the input is exhausted
  std::uint64_t bytes = 0;
  std::uint64_t failures = 0;
  std::uint64_t in_flight = 0;
};

class Progress {
 public:
  // Writes to `fd` (stderr). Inactive: every call does nothing.
  Progress(int fd, bool active);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Redraws with `counts` at hub time `now` if at least kInterval passed since the
  // last draw (so callers may call it as often as they like).
  void update(const ProgressCounts& counts, double now);
  // Erases the line if drawn; the next update() due redraws it.
  void clear();
  bool active() const noexcept { return active_; }
  std::uint64_t draws() const noexcept { return draws_; }

  // The line's text (no control sequences), for tests.
  static std::string render(const ProgressCounts& counts, double elapsed);

  static constexpr double kInterval = 0.1;

 private:
  int fd_;
  bool active_;
  bool shown_ = false;
  double start_ = -1;
  double last_draw_ = -1e300;
  std::uint64_t draws_ = 0;
};

}  // namespace gfetch
