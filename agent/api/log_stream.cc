// Tail and follow of a log file (see log_stream.h).
#include "agent/api/log_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::api {
namespace {

constexpr size_t kChunk = 64 * 1024;

}  // namespace

std::string heartbeatFor(StreamFormat format) {
  return format == StreamFormat::kSse ? ": keep-alive\n\n" : "\n";
}

std::string frameLine(StreamFormat format, std::string_view line) {
  if (format == StreamFormat::kSse) return "data: " + std::string(line) + "\n\n";
  return std::string(line) + "\n";
}

Result<off_t> tailOffset(int fd, size_t lines) {
  off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) return failErrno(errno, "seek");
  if (lines == 0) return end;
  // Count newlines backwards; the file's own last newline ends the last line, not a new one.
  size_t seen = 0;
  off_t pos = end;
  char buf[kChunk];
  bool first = true;
  while (pos > 0) {
    size_t n = static_cast<size_t>(std::min<off_t>(pos, sizeof buf));
    pos -= static_cast<off_t>(n);
    if (::pread(fd, buf, n, pos) != static_cast<ssize_t>(n)) return failErrno(errno, "read");
    for (size_t i = n; i-- > 0;) {
      if (first) {
        first = false;
        if (buf[i] == '\n') continue;
      }
      if (buf[i] == '\n' && ++seen == lines) return pos + static_cast<off_t>(i) + 1;
    }
  }
  return 0;
}

Result<std::shared_ptr<LogStream>> LogStream::open(FileWatcher& watcher, LogStreamOptions options) {
  std::shared_ptr<LogStream> stream(new LogStream(std::move(options)));
  LogStream* raw = stream.get();
  if (stream->options_.follow) {
    auto watch = watcher.watchDirectory(
        stream->options_.dir,
        [raw](uint32_t mask, std::string_view name) { raw->onDirectoryEvent(mask, name); });
    if (!watch) return fail(std::move(watch).error());
    stream->watch_ = std::move(*watch);
  }
  if (stream->options_.follow && stream->options_.bus) {
    stream->deleted_ = stream->options_.bus->subscribe([raw](const store::Event& e) {
      if (e.type != "space.deleted" || e.space != raw->options_.space) return;
      raw->refill();  // what was written before the end still goes out
      raw->finish();
    });
  }
  SPACELET_TRY(stream->openFile(true));
  return stream;
}

Result<void> LogStream::openFile(bool fromTail) {
  std::string path = options_.dir + "/" + options_.file;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return {};  // no log yet: follow waits for it to appear
    return failErrno(errno, "open '" + path + "'");
  }
  file_.reset(fd);
  if (fromTail && options_.tail) {
    auto offset = tailOffset(fd, *options_.tail);
    if (!offset) return fail(std::move(offset).error().withContext("tail '" + path + "'"));
    if (::lseek(fd, *offset, SEEK_SET) < 0) return failErrno(errno, "seek '" + path + "'");
  }
  return {};
}

void LogStream::emitLines(std::string_view data) {
  partial_.append(data);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl > start)
      append(frameLine(options_.format, std::string_view(partial_).substr(start, nl - start)));
  }
  partial_.erase(0, start);
}

void LogStream::refill() {
  if (finished()) return;
  for (;;) {
    if (file_) {
      char buf[kChunk];
      ssize_t n = ::read(file_.get(), buf, sizeof buf);
      if (n > 0) {
        emitLines(std::string_view(buf, static_cast<size_t>(n)));
        if (pending() > 0) return;
        continue;  // only a partial line so far
      }
      if (n < 0 && errno == EINTR) continue;
    }
    // End of the current file.
    if (replaced_) {
      replaced_ = false;
      partial_.clear();
      file_.reset();
      if (!openFile(false)) return finish();
      continue;
    }
    if (!options_.follow) {
      if (!partial_.empty()) append(frameLine(options_.format, partial_));
      partial_.clear();
      return finish();
    }
    return;  // wait for inotify
  }
}

void LogStream::onDirectoryEvent(uint32_t mask, std::string_view name) {
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
    refill();  // drain what is left, then end: the Space is gone
    return finish();
  }
  bool ours = name == options_.file;
  if (ours && (mask & (IN_CREATE | IN_MOVED_TO))) {
    if (!file_) {
      (void)openFile(false);
    } else {
      replaced_ = true;  // rotation: finish the old file, then switch
    }
  }
  if ((ours || (mask & IN_Q_OVERFLOW)) && pending() == 0) refill();
}

}  // namespace spacelet::agent::api
