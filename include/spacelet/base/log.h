// The process-wide log sink: the one global setting, fixed in main() before anything logs.
// Library code returns errors; the edge (main, a request handler) logs them once.
// Text lines go to stderr by default; `--log FILE --log-format json` writes runc's shape:
// {"level":"error","msg":"...","time":"2026-01-02T03:04:05Z"}.
#pragma once

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace spacelet::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class Format { kText, kJson };

struct Sink {
  int fd = 2;  // borrowed; the sink never closes it
  Format format = Format::kText;
  Level minimum = Level::kInfo;
  std::string program;  // prefixed to text lines, e.g. "spacelet-run"
};

// The single process-wide sink. Only main() calls configure(); everything else only logs.
inline Sink& sink() {
  static Sink instance;
  return instance;
}
inline void configure(Sink s) {
  sink() = std::move(s);
}

inline const char* levelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Escapes a string for a JSON string literal (the log must stay parseable line by line).
inline std::string jsonEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 8);
  for (unsigned char c : in) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

inline std::string timestampUtc() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
  return buf;
}

// Formats one line for the sink. Exposed for tests.
inline std::string formatLine(const Sink& s, Level level, std::string_view message) {
  if (s.format == Format::kJson) {
    return std::string("{\"level\":\"") + levelName(level) + "\",\"msg\":\"" + jsonEscape(message) +
           "\",\"time\":\"" + timestampUtc() + "\"}\n";
  }
  std::string line;
  if (!s.program.empty()) line += s.program + ": ";
  if (level != Level::kInfo) line += std::string(levelName(level)) + ": ";
  line += message;
  line += '\n';
  return line;
}

inline void write(Level level, std::string_view message) {
  const Sink& s = sink();
  if (level < s.minimum || s.fd < 0) return;
  std::string line = formatLine(s, level, message);
  int saved = errno;
  // One write per line so concurrent writers to an O_APPEND file do not interleave.
  (void)!::write(s.fd, line.data(), line.size());
  errno = saved;
}

inline void debug(std::string_view m) {
  write(Level::kDebug, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}
inline void warning(std::string_view m) {
  write(Level::kWarning, m);
}
inline void error(std::string_view m) {
  write(Level::kError, m);
}

}  // namespace spacelet::log
