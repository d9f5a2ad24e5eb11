// Event JSON and the in-process bus (see events.h).
#include "agent/store/events.h"

#include <vector>

#include "agent/store/clock.h"

namespace spacelet::agent::store {

nlohmann::json toJson(const Event& event) {
  return {{"seq", event.seq},
          {"time", formatTimestamp(event.timeMs)},
          {"type", event.type},
          {"space", event.space.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.space)},
          {"data", event.data}};
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    if (bus_) bus_->listeners_.erase(id_);
    bus_ = std::exchange(o.bus_, nullptr);
    id_ = o.id_;
  }
  return *this;
}

EventBus::Subscription::~Subscription() {
  if (bus_) bus_->listeners_.erase(id_);
}

EventBus::Subscription EventBus::subscribe(Listener listener) {
  uint64_t id = nextId_++;
  listeners_.emplace(id, std::move(listener));
  return Subscription(this, id);
}

void EventBus::publish(const Event& event) {
  std::vector<uint64_t> ids;
  ids.reserve(listeners_.size());
  for (const auto& [id, listener] : listeners_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = listeners_.find(id);
    if (it == listeners_.end()) continue;  // unsubscribed by an earlier listener
    Listener copy = it->second;            // the listener may unsubscribe itself
    copy(event);
  }
}

}  // namespace spacelet::agent::store
