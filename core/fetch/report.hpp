// Report: the one place results go. It writes each Result in the chosen format to
// stdout (in completion order, or input order with --keep-order), counts it for
// the summary and the progress line, and keeps the progress line from mixing with
// result lines on a shared terminal.
#pragma once

#include <cstddef>
#include <map>
#include <memory>

#include "fetch/formats.hpp"
#include "fetch/progress.hpp"
#include "fetch/result.hpp"
#include "fetch/stdout_sink.hpp"
#include "fetch/summary.hpp"

namespace gfetch {

class Report {
 public:
  // erase_progress_first: stdout and stderr are the same terminal, so the progress
  // line must be erased before a result line is written.
  Report(const FormatOptions& format, bool keep_order, StdoutSink& out, Progress& progress,
         bool erase_progress_first);

  // Takes the result of the URL admitted as number result.index (1-based, every
  // index exactly once). Never blocks on the network; may block on stdout. The
  // result is only moved from when --keep-order must hold it back.
  void add(Result&& result);
  // Writes what --keep-order still holds, and flushes.
  void finish();

  const Summary& summary() const noexcept { return summary_; }
  std::size_t written() const noexcept { return written_; }
  std::size_t held() const noexcept { return held_.size(); }
  bool broken() const noexcept { return out_.broken(); }

 private:
  void write(const Result& result);

  std::unique_ptr<Formatter> formatter_;
  bool keep_order_;
  StdoutSink& out_;
  Progress& progress_;
  bool erase_progress_first_;
  bool header_written_ = false;
  std::size_t next_index_ = 1;
  std::map<std::size_t, Result> held_;
  std::size_t written_ = 0;
  Summary summary_;
  std::string line_;
};

}  // namespace gfetch
