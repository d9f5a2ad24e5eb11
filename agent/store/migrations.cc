// spaceletd's schema history and the migration runner (see migrations.h).
#include "agent/store/migrations.h"

#include <string>

namespace spacelet::agent::store {

const std::vector<Migration>& schemaMigrations() {
  static const std::vector<Migration> migrations = {
      {"spaces, secrets, variables, events, meta", R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE spaces (
  id TEXT PRIMARY KEY,
  sdk TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL,
  stage_before_pause TEXT NOT NULL DEFAULT '',
  hardware_requested TEXT NOT NULL,
  hardware_current TEXT NOT NULL DEFAULT '',
  sleep_time INTEGER NOT NULL,
  sha TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  restarts INTEGER NOT NULL DEFAULT 0,
  last_exit TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  stage_changed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE secrets (
  space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  sealed BLOB NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (space_id, key)
) WITHOUT ROWID;
CREATE TABLE variables (
  space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (space_id, key)
) WITHOUT ROWID;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  type TEXT NOT NULL,
  space_id TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL
);
CREATE INDEX events_by_space ON events(space_id, seq);
)sql"},
      {"gpu_allocations: the GPUs granted to each Space (issue 8)", R"sql(
CREATE TABLE gpu_allocations (
  gpu TEXT PRIMARY KEY,
  space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  granted_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX gpu_allocations_by_space ON gpu_allocations(space_id);
)sql"},
  };
  return migrations;
}

namespace {

Result<int> userVersion(Database& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) return fail(std::move(stmt).error());
  auto row = stmt->step();
  if (!row) return fail(std::move(row).error());
  return static_cast<int>(stmt->integer(0));
}

Result<void> applyOne(Database& db, const Migration& m, int version) {
  auto tx = Transaction::begin(db);
  if (!tx) return fail(std::move(tx).error());
  SPACELET_TRY(db.exec(std::string(m.sql)));
  SPACELET_TRY(db.exec("PRAGMA user_version = " + std::to_string(version)));
  return tx->commit();
}

}  // namespace

Result<int> migrate(Database& db, const std::vector<Migration>& migrations) {
  auto current = userVersion(db);
  if (!current) return current;
  int known = static_cast<int>(migrations.size());
  if (*current > known) {
    return fail(Error{EPROTO, "database '" + db.path() + "' has schema version " +
                                  std::to_string(*current) + " but this spaceletd knows only " +
                                  std::to_string(known) +
                                  "; run the newer spaceletd that wrote it (downgrades are not "
                                  "supported)"});
  }
  for (int v = *current; v < known; ++v) {
    const Migration& m = migrations[static_cast<size_t>(v)];
    auto applied = applyOne(db, m, v + 1);
    if (!applied) {
      return fail(std::move(applied).error().withContext("migrate database to version " +
                                                         std::to_string(v + 1) + " (" +
                                                         std::string(m.description) + ")"));
    }
  }
  return known;
}

}  // namespace spacelet::agent::store
