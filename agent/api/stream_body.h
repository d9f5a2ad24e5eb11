// A response body produced over time (log follow, event follow). Producers append() bytes and
// finish(); the server takes() them as the client's socket accepts them and suspends the
// connection while nothing is pending, so a quiet stream costs no CPU and never blocks the
// loop. A reader that falls behind by more than the buffer limit is cut off with a final line
// saying so. Subclasses own whatever feeds them (an inotify watch, an event subscription) and
// may refill() lazily from a file when the buffer runs dry.
// Thread-safety: the event loop thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace spacelet::agent::api {

class StreamBody {
 public:
  StreamBody(size_t bufferLimit, std::string heartbeat)
      : bufferLimit_(bufferLimit), heartbeat_(std::move(heartbeat)) {}
  virtual ~StreamBody() = default;
  StreamBody(const StreamBody&) = delete;
  StreamBody& operator=(const StreamBody&) = delete;

  // Producer side.
  void append(std::string_view data);
  void finish();
  bool finished() const { return finished_; }
  size_t pending() const { return buffer_.size() - offset_; }

  // Server side. wake is called whenever data was appended or the stream finished.
  void attach(std::function<void()> wake) { wake_ = std::move(wake); }
  void detach() { wake_ = nullptr; }
  // Copies up to max bytes: > 0 bytes copied, 0 nothing now, -1 finished and drained.
  ssize_t take(char* out, size_t max);
  // Appends the keep-alive bytes when nothing was sent for `idle`.
  void heartbeatIfIdle(std::chrono::steady_clock::duration idle);

 protected:
  // Called by take() when the buffer is empty: a subclass may append() more (from a file).
  virtual void refill() {}
  // The stream ends because the reader fell behind; subclasses format the last words.
  virtual std::string overflowNotice(size_t limit) const;

 private:
  void wake() const {
    if (wake_) wake_();
  }

  size_t bufferLimit_;
  std::string heartbeat_;
  std::string buffer_;
  size_t offset_ = 0;
  bool finished_ = false;
  std::function<void()> wake_;
  std::chrono::steady_clock::time_point lastActivity_ = std::chrono::steady_clock::now();
};

}  // namespace spacelet::agent::api
