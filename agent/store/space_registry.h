// The one place every Space's state changes. Each change is written to SQLite together with its
// event in one transaction, then applied to the in-memory view (which serves reads) and
// published on the event bus. Secret values are sealed with the node key before they reach the
// database and are never part of an event.
// Thread-safety: the event loop thread only. Work on other threads posts back to the loop
// (EventLoop::post) before it touches the registry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/secrets/secret_box.h"
#include "agent/store/clock.h"
#include "agent/store/events.h"
#include "agent/store/space.h"
#include "agent/store/store.h"

namespace spacelet::agent::store {

struct RegistryOptions {
  std::string stateDir;
  const secrets::SecretBox* box = nullptr;  // borrowed; outlives the registry
  uint64_t eventsRetained = 10000;
  Clock clock = nowMs;
};

struct ValueWithDescription {
  std::string value;
  std::string description;
};

struct NewSpace {
  SpaceId id;
  std::string sdk;
  std::string source;
  std::string hardware;
  int64_t sleepSeconds = -1;
  std::map<std::string, ValueWithDescription> secrets;
  std::map<std::string, ValueWithDescription> variables;
};

// What listing secrets shows: never the value.
struct SecretInfo {
  std::string key;
  std::string description;
  int64_t updatedAtMs = 0;
};

class SpaceRegistry {
 public:
  // Opens <state_dir>/state.db, migrates it, checks the node key against the key that sealed
  // the stored secrets (a different key is a clear error naming both key ids), and loads every
  // Space into memory.
  static Result<std::unique_ptr<SpaceRegistry>> open(RegistryOptions options);

  const Space* find(const SpaceId& id) const;
  std::vector<const Space*> list() const;  // ordered by id
  size_t size() const { return spaces_.size(); }

  // Creates the Space (stage NO_APP_FILE), its directories, secrets and variables, all or
  // nothing. EEXIST when the id is taken.
  Result<const Space*> create(const NewSpace& request);
  // Applies `change` to a copy of the Space; when any field differs, stores it with a
  // "space.changed" event listing each changed field as {"from", "to"}. ENOENT when unknown.
  Result<const Space*> update(const SpaceId& id, const std::function<void(Space&)>& change);
  // Removes the Space, its secrets, variables and directory.
  Result<void> erase(const SpaceId& id);
  // An event without a state change (a request that was recorded, e.g. "space.restart_requested").
  Result<void> record(const std::string& space, const std::string& type, nlohmann::json data);

  Result<void> putSecret(const SpaceId& id, const std::string& key, const ValueWithDescription& v);
  Result<bool> deleteSecret(const SpaceId& id, const std::string& key);
  Result<std::vector<SecretInfo>> listSecrets(const SpaceId& id);
  // The decrypted values, for injecting into the Space's environment. Never for API responses.
  Result<std::map<std::string, std::string>> secretValues(const SpaceId& id);

  Result<void> putVariable(const SpaceId& id, const std::string& key,
                           const ValueWithDescription& v);
  Result<bool> deleteVariable(const SpaceId& id, const std::string& key);
  Result<std::vector<VariableRow>> listVariables(const SpaceId& id);

  EventBus& bus() { return bus_; }
  Store& store() { return store_; }
  const std::string& stateDir() const { return options_.stateDir; }
  void setEventsRetained(uint64_t keep) { options_.eventsRetained = keep; }

 private:
  SpaceRegistry(RegistryOptions options, Store store)
      : options_(std::move(options)), store_(std::move(store)) {}
  Result<void> checkNodeKey();
  Result<void> loadSpaces();
  // Writes the event inside the caller's transaction; returns it with its sequence number.
  Result<Event> storeEvent(const std::string& space, const std::string& type, nlohmann::json data);
  // After commit: publishes, and trims old events now and then.
  void published(const Event& event);
  Result<void> putSealed(const SpaceId& id, const std::string& key, const ValueWithDescription& v,
                         int64_t now);
  // Binds a sealed secret to its Space and name, so it cannot be moved to another.
  static std::string secretAad(const SpaceId& id, const std::string& key);
  Result<Event> insertNew(const Space& space, const NewSpace& request);

  RegistryOptions options_;
  Store store_;
  EventBus bus_;
  std::map<SpaceId, Space> spaces_;
  uint64_t eventsSinceTrim_ = 0;
};

}  // namespace spacelet::agent::store
