// Events: every change to a Space (and a few node happenings) as a numbered record. They are
// stored with the change in one transaction (so /v1/events?since=N can replay them) and then
// published to in-process listeners (the streams of GET /v1/events?follow=1).
// Thread-safety: EventBus is used on the event loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace spacelet::agent::store {

struct Event {
  int64_t seq = 0;
  int64_t timeMs = 0;
  std::string type;   // "space.created", "space.changed", "space.secret.set", "node.reloaded", ...
  std::string space;  // "author/name", or "" for node events
  nlohmann::json data = nlohmann::json::object();
};

// {"seq":1,"time":"...","type":"...","space":"a/b"|null,"data":{...}}
nlohmann::json toJson(const Event& event);

class EventBus {
 public:
  using Listener = std::function<void(const Event&)>;

  // Unsubscribes when destroyed. Must not outlive the bus.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& o) noexcept : bus_(std::exchange(o.bus_, nullptr)), id_(o.id_) {}
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription();

   private:
    EventBus* bus_ = nullptr;
    uint64_t id_ = 0;
  };

  Subscription subscribe(Listener listener);
  // Calls every listener; a listener may unsubscribe itself or others while being called.
  void publish(const Event& event);
  size_t listenerCount() const { return listeners_.size(); }

 private:
  std::map<uint64_t, Listener> listeners_;
  uint64_t nextId_ = 1;
};

}  // namespace spacelet::agent::store
