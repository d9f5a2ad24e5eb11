// Replay and follow of events (see event_stream.h).
#include "agent/api/event_stream.h"

namespace spacelet::agent::api {

std::string frameEvent(StreamFormat format, const store::Event& event) {
  std::string json =
      store::toJson(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (format == StreamFormat::kSse) {
    return "id: " + std::to_string(event.seq) + "\nevent: " + event.type + "\ndata: " + json +
           "\n\n";
  }
  return json + "\n";
}

std::shared_ptr<EventStream> EventStream::open(store::EventBus& bus,
                                               const std::vector<store::Event>& replay,
                                               std::string space, StreamFormat format, bool follow,
                                               size_t bufferLimit) {
  std::shared_ptr<EventStream> stream(new EventStream(std::move(space), format, bufferLimit));
  for (const auto& event : replay) stream->append(frameEvent(format, event));
  if (!follow) {
    stream->finish();
    return stream;
  }
  EventStream* raw = stream.get();
  stream->subscription_ = bus.subscribe([raw](const store::Event& e) { raw->onEvent(e); });
  return stream;
}

void EventStream::onEvent(const store::Event& event) {
  if (!space_.empty() && event.space != space_) return;
  append(frameEvent(format_, event));
  if (!space_.empty() && event.type == "space.deleted") {
    finish();
    subscription_ = store::EventBus::Subscription();
  }
}

}  // namespace spacelet::agent::api
