// Tests of versioned schema migrations: a fresh database gets every migration once, an older
// one only the missing ones, a failing migration leaves the previous version intact, and a
// database newer than the binary is refused.
#include "agent/store/migrations.h"

#include <gtest/gtest.h>

#include "agent/store/store.h"
#include "test_env.h"

namespace spacelet::agent::store {
namespace {

using spacelet::testing::TempDir;

int64_t userVersion(Database& db) {
  auto s = db.prepare("PRAGMA user_version");
  EXPECT_TRUE(s && s->step());
  return s->integer(0);
}

TEST(Migrations, FreshDatabaseGetsTheWholeSchemaInWalMode) {
  TempDir dir;
  auto store = Store::open(dir / "state.db");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(userVersion(store->db()), static_cast<int64_t>(schemaMigrations().size()));
  auto mode = store->db().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode && mode->step());
  EXPECT_EQ(mode->text(0), "wal");
  auto spaces = store->loadSpaces();
  ASSERT_TRUE(spaces) << spaces.error().message;
  EXPECT_TRUE(spaces->empty());
}

TEST(Migrations, OnlyMissingMigrationsRunAndEachOnce) {
  TempDir dir;
  std::vector<Migration> v1 = {{"t", "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);"}};
  {
    auto db = Database::open(dir / "m.db");
    ASSERT_TRUE(db);
    ASSERT_EQ(migrate(*db, v1).value_or(-1), 1);
    ASSERT_EQ(migrate(*db, v1).value_or(-1), 1);  // nothing runs twice
  }
  auto v2 = v1;
  v2.push_back({"u", "ALTER TABLE t ADD COLUMN y TEXT NOT NULL DEFAULT 'new';"});
  auto db = Database::open(dir / "m.db");
  ASSERT_TRUE(db);
  ASSERT_EQ(migrate(*db, v2).value_or(-1), 2);
  auto s = db->prepare("SELECT COUNT(*), MIN(y) FROM t");
  ASSERT_TRUE(s && s->step());
  EXPECT_EQ(s->integer(0), 1);
  EXPECT_EQ(s->text(1), "new");
}

TEST(Migrations, AFailingMigrationLeavesThePreviousVersion) {
  TempDir dir;
  std::vector<Migration> list = {{"t", "CREATE TABLE t (x INTEGER);"},
                                 {"broken", "CREATE TABLE u (y INTEGER); SELECT * FROM missing;"}};
  auto db = Database::open(dir / "m.db");
  ASSERT_TRUE(db);
  auto r = migrate(*db, list);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("migrate database to version 2 (broken)"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(userVersion(*db), 1);
  auto u = db->prepare("SELECT * FROM u");  // rolled back with the failed migration
  EXPECT_FALSE(u);
}

TEST(Migrations, NewerDatabaseIsRefused) {
  TempDir dir;
  {
    auto db = Database::open(dir / "m.db");
    ASSERT_TRUE(db && db->exec("PRAGMA user_version = 99"));
  }
  auto store = Store::open(dir / "m.db");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos);
  EXPECT_NE(store.error().message.find("downgrades are not supported"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::agent::store
