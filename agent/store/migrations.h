// Versioned schema migrations: the database's PRAGMA user_version is the number of migrations
// applied. Each migration runs in its own transaction together with the version bump, so a
// crash leaves the schema at one version or the next, never between. The list is append-only:
// a later issue adds a column by appending a migration, never by editing one.
#pragma once

#include <string_view>
#include <vector>

#include "agent/store/sqlite.h"

namespace spacelet::agent::store {

struct Migration {
  std::string_view description;
  std::string_view sql;
};

// spaceletd's schema, oldest first.
const std::vector<Migration>& schemaMigrations();

// Brings db up to migrations.size(). A database newer than this binary is refused (an older
// spaceletd must not write a schema it does not know). Returns the version reached.
Result<int> migrate(Database& db, const std::vector<Migration>& migrations);

}  // namespace spacelet::agent::store
