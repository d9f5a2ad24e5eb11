// GET /v1/events: stored events replayed (after a sequence number, or the last N), then with
// follow every new event as it is published, optionally only those of one Space; as
// newline-delimited JSON or Server-Sent Events. A followed Space's deletion ends its stream.
// Thread-safety: the event loop thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/api/log_stream.h"
#include "agent/api/stream_body.h"
#include "agent/store/events.h"

namespace spacelet::agent::api {

// One event as a stream frame (SSE frames carry "id: <seq>" so clients can resume).
std::string frameEvent(StreamFormat format, const store::Event& event);

class EventStream : public StreamBody {
 public:
  // replay: the stored events to send first (oldest first).
  static std::shared_ptr<EventStream> open(store::EventBus& bus,
                                           const std::vector<store::Event>& replay,
                                           std::string space, StreamFormat format, bool follow,
                                           size_t bufferLimit);

 private:
  EventStream(std::string space, StreamFormat format, size_t bufferLimit)
      : StreamBody(bufferLimit, heartbeatFor(format)), space_(std::move(space)), format_(format) {}
  void onEvent(const store::Event& event);

  std::string space_;
  StreamFormat format_;
  store::EventBus::Subscription subscription_;
};

}  // namespace spacelet::agent::api
