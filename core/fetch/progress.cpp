// The stderr progress line (see progress.hpp).
#include "fetch/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "fetch/formats.hpp"

namespace gfetch {
namespace {

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;  // a progress line is not worth an error
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

Progress::Progress(int fd, bool active) : fd_(fd), active_(active) {}

Progress::~Progress() {
  clear();
}

std::string Progress::render(const ProgressCounts& counts, double elapsed) {
  char line[200];
  std::string total = counts.total ? std::to_string(*counts.total) : "?";
  double rate = elapsed > 0 ? static_cast<double>(counts.done) / elapsed : 0;
  std::snprintf(line, sizeof line, "%llu/%s done, %.1f/s, %s, %llu failed, %llu in flight",
                static_cast<unsigned long long>(counts.done), total.c_str(), rate,
                human_bytes(static_cast<double>(counts.bytes)).c_str(),
                static_cast<unsigned long long>(counts.failures),
                static_cast<unsigned long long>(counts.in_flight));
  return line;
}

void Progress::update(const ProgressCounts& counts, double now) {
  if (!active_) return;
  if (start_ < 0) start_ = now;
  if (now - last_draw_ < kInterval) return;
  last_draw_ = now;
  ++draws_;
  write_all(fd_, "\r" + render(counts, now - start_) + "\x1b[K");
  shown_ = true;
}

void Progress::clear() {
  if (!active_ || !shown_) return;
  write_all(fd_, "\r\x1b[K");
  shown_ = false;
}

}  // namespace gfetch
