// Buffering and flow control of streamed responses (see stream_body.h).
#include "agent/api/stream_body.h"

#include <algorithm>
#include <cstring>

namespace spacelet::agent::api {

void StreamBody::append(std::string_view data) {
  if (finished_ || data.empty()) return;
  if (pending() + data.size() > bufferLimit_) {
    // The reader is too slow: end the stream rather than buffer without bound.
    std::string notice = overflowNotice(bufferLimit_);
    buffer_.append(notice);
    finished_ = true;
    wake();
    return;
  }
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
  buffer_.append(data);
  lastActivity_ = std::chrono::steady_clock::now();
  wake();
}

void StreamBody::finish() {
  if (finished_) return;
  finished_ = true;
  wake();
}

ssize_t StreamBody::take(char* out, size_t max) {
  if (pending() == 0 && !finished_) refill();
  size_t n = std::min(max, pending());
  if (n == 0) return finished_ ? -1 : 0;
  std::memcpy(out, buffer_.data() + offset_, n);
  offset_ += n;
  // Compact once the consumed prefix dominates, so a long stream does not grow the buffer.
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > 64 * 1024 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return static_cast<ssize_t>(n);
}

void StreamBody::heartbeatIfIdle(std::chrono::steady_clock::duration idle) {
  if (finished_ || heartbeat_.empty() || pending() > 0) return;
  if (std::chrono::steady_clock::now() - lastActivity_ < idle) return;
  append(heartbeat_);
}

std::string StreamBody::overflowNotice(size_t limit) const {
  return "{\"error\":{\"code\":\"stream_overflow\",\"message\":\"the reader fell more than " +
         std::to_string(limit) +
         " bytes behind (api.stream_buffer_bytes); reconnect to continue\"}}\n";
}

}  // namespace spacelet::agent::api
