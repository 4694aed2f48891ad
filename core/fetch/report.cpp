// The Report: ordering, formatting and counting of results (see report.hpp).
#include "fetch/report.hpp"

#include <utility>

namespace gfetch {

Report::Report(const FormatOptions& format, bool keep_order, StdoutSink& out, Progress& progress,
               bool erase_progress_first)
    : formatter_(make_formatter(format)),
      keep_order_(keep_order),
      out_(out),
      progress_(progress),
      erase_progress_first_(erase_progress_first) {}

void Report::add(Result&& result) {
  summary_.add(result);
  if (!keep_order_) {
    write(result);
    return;
  }
  if (result.index != next_index_) {
    held_.emplace(result.index, std::move(result));
    return;
  }
  write(result);
  ++next_index_;
  for (auto it = held_.begin(); it != held_.end() && it->first == next_index_;
       it = held_.erase(it)) {
    write(it->second);
    ++next_index_;
  }
}

void Report::finish() {
  for (auto& [index, result] : held_) write(result);
  held_.clear();
  if (!header_written_) {
    // An empty run still gets its CSV header, so the output always parses.
    out_.write(formatter_->header());
    header_written_ = true;
  }
  out_.flush();
}

void Report::write(const Result& result) {
  if (out_.broken()) return;
  if (erase_progress_first_) progress_.clear();
  line_.clear();
  if (!header_written_) {
    line_ = formatter_->header();
    header_written_ = true;
  }
  formatter_->format(result, line_);
  out_.write(line_);
  out_.end_record();
  ++written_;
}

}  // namespace gfetch
