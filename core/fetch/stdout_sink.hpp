// Where result lines go: a buffered writer on an fd (stdout) that notices a closed
// reader. With SIGPIPE ignored, a write to a closed pipe fails with EPIPE; the sink
// then drops everything else and reports broken(), and the job ends quietly
// (ripgrep's and head(1)-friendly behaviour). Any other failed write (ENOSPC) is
// broken() too, with error(); the job ends with that error. Writes block the whole
// thread, as every CLI's stdout does; buffering keeps their number small.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gfetch {

class StdoutSink {
 public:
  // line_buffered: flush at every end of record (a terminal, or a reader that
  // wants lines as they happen); otherwise flush when kFlushAt bytes are waiting
  // and at flush().
  StdoutSink(int fd, bool line_buffered);
  ~StdoutSink();
  StdoutSink(const StdoutSink&) = delete;
  StdoutSink& operator=(const StdoutSink&) = delete;

  void write(std::string_view text);
  // Called after each complete record.
  void end_record();
  void flush();
  // The reader went away (EPIPE) or the fd failed; nothing more is written.
  bool broken() const noexcept { return broken_; }
  int error() const noexcept { return error_; }
  // Bytes waiting in the buffer.
  std::size_t pending() const noexcept { return buffer_.size(); }

  static constexpr std::size_t kFlushAt = 32 * 1024;

 private:
  int fd_;
  bool line_buffered_;
  bool broken_ = false;
  int error_ = 0;
  std::string buffer_;
};

// True when `fd` is a terminal.
bool is_terminal(int fd) noexcept;

}  // namespace gfetch
