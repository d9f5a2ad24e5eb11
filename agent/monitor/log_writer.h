// A run log that cannot fill the disk: lines are appended to one file with a single write
// each (so a reader tailing it never sees half a line), and when the next line would pass the
// cap the file is rotated (run.log -> run.log.1 -> ... -> run.log.<keep>; the oldest dropped).
// Also the splitter that turns a pipe's byte stream into lines. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::monitor {

struct LogLimits {
  uint64_t maxBytes = 10 << 20;     // per file (agent config logs.max_bytes)
  int keep = 3;                     // rotated files kept besides the live one (logs.keep)
  size_t maxLineBytes = 16 * 1024;  // longer lines are split (logs.max_line_bytes)
};

class LogWriter {
 public:
  // `format` turns a line of text into what is stored (the timestamped JSON line).
  using Format = std::function<std::string(std::string_view text)>;
  static Result<LogWriter> open(std::string path, LogLimits limits, Format format);

  Result<void> append(std::string_view text);
  const std::string& path() const { return path_; }

 private:
  LogWriter(std::string path, LogLimits limits, Format format)
      : path_(std::move(path)), limits_(limits), format_(std::move(format)) {}
  Result<void> reopen();
  Result<void> rotate();

  std::string path_;
  LogLimits limits_;
  Format format_;
  UniqueFd fd_;
  uint64_t size_ = 0;
};

// Splits a byte stream into lines. A line longer than maxLine is cut into pieces of maxLine
// bytes (an app printing megabytes without a newline must not grow the buffer unbounded).
class LineSplitter {
 public:
  explicit LineSplitter(size_t maxLine = 16 * 1024) : maxLine_(maxLine) {}
  // Calls emit for each complete line in data (without its '\n'; a trailing '\r' removed).
  void feed(std::string_view data, const std::function<void(std::string_view)>& emit);
  // Emits what is left (the last line had no newline).
  void finish(const std::function<void(std::string_view)>& emit);

 private:
  size_t maxLine_;
  std::string pending_;
};

}  // namespace spacelet::agent::monitor
