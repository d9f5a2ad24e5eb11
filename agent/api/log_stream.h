// GET …/logs: a Space's build or run log file streamed as newline-delimited JSON (the file's
// lines as they are) or as Server-Sent Events ("data: <line>"). It starts at the last `tail`
// lines, reads the file in chunks only as fast as the client takes them, and with follow
// waits on inotify for more: across rotation (the file renamed away and a new one created)
// and until the Space is deleted.
// Thread-safety: the event loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/api/file_watcher.h"
#include "agent/api/stream_body.h"
#include "agent/store/events.h"

namespace spacelet::agent::api {

enum class StreamFormat { kNdjson, kSse };

// The keep-alive a format sends on a quiet stream (NDJSON: an empty line; SSE: a comment).
std::string heartbeatFor(StreamFormat format);
// One stored line (without its newline) in the stream's format.
std::string frameLine(StreamFormat format, std::string_view line);

// The byte offset where the last `lines` complete lines of fd begin (reads backwards).
Result<off_t> tailOffset(int fd, size_t lines);

struct LogStreamOptions {
  std::string dir;   // the Space's logs directory
  std::string file;  // "build.log" or "run.log"
  StreamFormat format = StreamFormat::kNdjson;
  std::optional<size_t> tail;  // nullopt: the whole file
  bool follow = false;
  size_t bufferLimit = 1024 * 1024;
  // With follow, the stream ends when this Space's "space.deleted" event is published.
  store::EventBus* bus = nullptr;
  std::string space;
};

class LogStream : public StreamBody {
 public:
  static Result<std::shared_ptr<LogStream>> open(FileWatcher& watcher, LogStreamOptions options);

 protected:
  void refill() override;

 private:
  explicit LogStream(LogStreamOptions options)
      : StreamBody(options.bufferLimit, heartbeatFor(options.format)),
        options_(std::move(options)) {}
  Result<void> openFile(bool fromTail);
  void onDirectoryEvent(uint32_t mask, std::string_view name);
  // Appends every complete line of data (plus the held partial line) in the stream's format.
  void emitLines(std::string_view data);

  LogStreamOptions options_;
  UniqueFd file_;
  std::string partial_;
  bool replaced_ = false;  // a new file took the name; switch to it at EOF of the old one
  FileWatcher::Watch watch_;
  store::EventBus::Subscription deleted_;
};

}  // namespace spacelet::agent::api
