// The buffered stdout writer with broken-pipe detection (see stdout_sink.hpp).
#include "fetch/stdout_sink.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace gfetch {

StdoutSink::StdoutSink(int fd, bool line_buffered) : fd_(fd), line_buffered_(line_buffered) {}

StdoutSink::~StdoutSink() {
  flush();
}

void StdoutSink::write(std::string_view text) {
  if (broken_) return;
  buffer_.append(text);
}

void StdoutSink::end_record() {
  if (line_buffered_ || buffer_.size() >= kFlushAt) flush();
}

void StdoutSink::flush() {
  std::size_t done = 0;
  while (!broken_ && done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {  // a non-blocking stdout: wait until it drains
      pollfd ready{fd_, POLLOUT, 0};
      ::poll(&ready, 1, -1);
      continue;
    }
    if (n < 0) {
      broken_ = true;
      error_ = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

bool is_terminal(int fd) noexcept {
  return ::isatty(fd) == 1;
}

}  // namespace gfetch
