// The SQL behind the registry: Spaces, sealed secrets, variables, events and a small key/value
// meta table, in one SQLite database (WAL). Callers wrap related writes in a Transaction so a
// crash leaves all or none of them. Holds no cache; SpaceRegistry keeps the in-memory view.
// Thread-safety: one thread (the event loop).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/store/events.h"
#include "agent/store/migrations.h"
#include "agent/store/space.h"
#include "agent/store/sqlite.h"

namespace spacelet::agent::store {

struct SecretRow {
  std::string key;
  std::string sealed;
  std::string description;
  int64_t updatedAtMs = 0;
};

struct VariableRow {
  std::string key;
  std::string value;
  std::string description;
  int64_t updatedAtMs = 0;
};

class Store {
 public:
  // Opens (creating) the database file and migrates it to the current schema.
  static Result<Store> open(const std::string& path,
                            const std::vector<Migration>& migrations = schemaMigrations());

  Database& db() { return db_; }
  Result<Transaction> begin() { return Transaction::begin(db_); }

  Result<std::vector<Space>> loadSpaces();
  Result<void> insertSpace(const Space& space);
  Result<void> updateSpace(const Space& space);
  Result<bool> deleteSpace(const SpaceId& id);  // secrets and variables go with it

  Result<void> putSecret(const SpaceId& id, const SecretRow& row);
  Result<bool> deleteSecret(const SpaceId& id, const std::string& key);
  Result<std::vector<SecretRow>> secrets(const SpaceId& id);

  Result<void> putVariable(const SpaceId& id, const VariableRow& row);
  Result<bool> deleteVariable(const SpaceId& id, const std::string& key);
  Result<std::vector<VariableRow>> variables(const SpaceId& id);

  // Stores an event and returns its sequence number.
  Result<int64_t> appendEvent(const Event& event);
  // Events with seq > after, oldest first, at most limit; space "" means every Space.
  Result<std::vector<Event>> eventsAfter(int64_t after, const std::string& space, size_t limit);
  // The newest `count` events (oldest first).
  Result<std::vector<Event>> lastEvents(size_t count, const std::string& space);
  Result<void> trimEvents(size_t keep);

  Result<std::optional<std::string>> meta(const std::string& key);
  Result<void> putMeta(const std::string& key, const std::string& value);

 private:
  explicit Store(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace spacelet::agent::store
