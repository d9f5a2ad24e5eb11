// SQL statements of the store (see store.h). Column order of the spaces table is fixed by
// kSpaceColumns; bindSpace and readSpace follow it.
#include "agent/store/store.h"

namespace spacelet::agent::store {
namespace {

constexpr const char* kSpaceColumns =
    "id, sdk, source, stage, stage_before_pause, hardware_requested, hardware_current, "
    "sleep_time, sha, error_message, address, restarts, last_exit, created_at, updated_at, "
    "stage_changed_at";

void bindSpace(Statement& s, const Space& sp) {
  s.bind(1, sp.id.str())
      .bind(2, sp.sdk)
      .bind(3, sp.source)
      .bind(4, stageName(sp.stage))
      .bind(5, sp.stageBeforePause ? stageName(*sp.stageBeforePause) : std::string_view())
      .bind(6, sp.hardwareRequested)
      .bind(7, sp.hardwareCurrent)
      .bind(8, sp.sleepSeconds)
      .bind(9, sp.sha)
      .bind(10, sp.errorMessage)
      .bind(11, sp.address)
      .bind(12, sp.restarts)
      .bind(13, sp.lastExit)
      .bind(14, sp.createdAtMs)
      .bind(15, sp.updatedAtMs)
      .bind(16, sp.stageChangedAtMs);
}

Result<Space> readSpace(const Statement& s) {
  auto id = parseSpaceId(s.text(0));
  if (!id) return fail(std::move(id).error().withContext("stored Space"));
  Space sp;
  sp.id = *id;
  sp.sdk = s.text(1);
  sp.source = s.text(2);
  auto stage = parseStage(s.text(3));
  if (!stage)
    return failInvalid("stored Space '" + sp.id.str() + "' has unknown stage '" + s.text(3) + "'");
  sp.stage = *stage;
  sp.stageBeforePause = parseStage(s.text(4));
  sp.hardwareRequested = s.text(5);
  sp.hardwareCurrent = s.text(6);
  sp.sleepSeconds = s.integer(7);
  sp.sha = s.text(8);
  sp.errorMessage = s.text(9);
  sp.address = s.text(10);
  sp.restarts = s.integer(11);
  sp.lastExit = s.text(12);
  sp.createdAtMs = s.integer(13);
  sp.updatedAtMs = s.integer(14);
  sp.stageChangedAtMs = s.integer(15);
  return sp;
}

Result<bool> runAndCountChanges(Database& db, Statement& s) {
  SPACELET_TRY(s.run());
  return db.changes() > 0;
}

Event readEvent(const Statement& s) {
  Event e;
  e.seq = s.integer(0);
  e.timeMs = s.integer(1);
  e.type = s.text(2);
  e.space = s.text(3);
  e.data = nlohmann::json::parse(s.text(4), nullptr, /*allow_exceptions=*/false);
  if (e.data.is_discarded()) e.data = nlohmann::json::object();
  return e;
}

Result<std::vector<Event>> collectEvents(Statement& s) {
  std::vector<Event> out;
  for (;;) {
    auto row = s.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return out;
    out.push_back(readEvent(s));
  }
}

}  // namespace

Result<Store> Store::open(const std::string& path, const std::vector<Migration>& migrations) {
  auto db = Database::open(path);
  if (!db) return fail(std::move(db).error());
  auto version = migrate(*db, migrations);
  if (!version) return fail(std::move(version).error());
  return Store(std::move(*db));
}

Result<std::vector<Space>> Store::loadSpaces() {
  auto s = db_.prepare(std::string("SELECT ") + kSpaceColumns + " FROM spaces ORDER BY id");
  if (!s) return fail(std::move(s).error());
  std::vector<Space> out;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return out;
    auto space = readSpace(*s);
    if (!space) return fail(std::move(space).error());
    out.push_back(std::move(*space));
  }
}

Result<void> Store::insertSpace(const Space& space) {
  auto s = db_.prepare(std::string("INSERT INTO spaces (") + kSpaceColumns +
                       ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
  if (!s) return fail(std::move(s).error());
  bindSpace(*s, space);
  return s->run();
}

Result<void> Store::updateSpace(const Space& space) {
  auto s = db_.prepare(
      "UPDATE spaces SET sdk=?2, source=?3, stage=?4, stage_before_pause=?5, "
      "hardware_requested=?6, hardware_current=?7, sleep_time=?8, sha=?9, error_message=?10, "
      "address=?11, restarts=?12, last_exit=?13, created_at=?14, updated_at=?15, "
      "stage_changed_at=?16 WHERE id=?1");
  if (!s) return fail(std::move(s).error());
  bindSpace(*s, space);
  SPACELET_TRY(s->run());
  if (db_.changes() == 0)
    return fail(Error{ENOENT, "Space '" + space.id.str() + "' is not stored"});
  return {};
}

Result<bool> Store::deleteSpace(const SpaceId& id) {
  auto s = db_.prepare("DELETE FROM spaces WHERE id=?1");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str());
  return runAndCountChanges(db_, *s);
}

Result<void> Store::putSecret(const SpaceId& id, const SecretRow& row) {
  auto s = db_.prepare(
      "INSERT INTO secrets (space_id, key, sealed, description, updated_at) VALUES (?1,?2,?3,?4,?5)"
      " ON CONFLICT(space_id, key) DO UPDATE SET sealed=excluded.sealed, "
      "description=excluded.description, updated_at=excluded.updated_at");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str())
      .bind(2, row.key)
      .bindBlob(3, row.sealed)
      .bind(4, row.description)
      .bind(5, row.updatedAtMs);
  return s->run();
}

Result<bool> Store::deleteSecret(const SpaceId& id, const std::string& key) {
  auto s = db_.prepare("DELETE FROM secrets WHERE space_id=?1 AND key=?2");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str()).bind(2, key);
  return runAndCountChanges(db_, *s);
}

Result<std::vector<SecretRow>> Store::secrets(const SpaceId& id) {
  auto s = db_.prepare(
      "SELECT key, sealed, description, updated_at FROM secrets WHERE space_id=?1 ORDER BY key");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str());
  std::vector<SecretRow> out;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return out;
    out.push_back({s->text(0), s->blob(1), s->text(2), s->integer(3)});
  }
}

Result<void> Store::putVariable(const SpaceId& id, const VariableRow& row) {
  auto s = db_.prepare(
      "INSERT INTO variables (space_id, key, value, description, updated_at) VALUES "
      "(?1,?2,?3,?4,?5) ON CONFLICT(space_id, key) DO UPDATE SET value=excluded.value, "
      "description=excluded.description, updated_at=excluded.updated_at");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str())
      .bind(2, row.key)
      .bind(3, row.value)
      .bind(4, row.description)
      .bind(5, row.updatedAtMs);
  return s->run();
}

Result<bool> Store::deleteVariable(const SpaceId& id, const std::string& key) {
  auto s = db_.prepare("DELETE FROM variables WHERE space_id=?1 AND key=?2");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str()).bind(2, key);
  return runAndCountChanges(db_, *s);
}

Result<std::vector<VariableRow>> Store::variables(const SpaceId& id) {
  auto s = db_.prepare(
      "SELECT key, value, description, updated_at FROM variables WHERE space_id=?1 ORDER BY key");
  if (!s) return fail(std::move(s).error());
  s->bind(1, id.str());
  std::vector<VariableRow> out;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return out;
    out.push_back({s->text(0), s->text(1), s->text(2), s->integer(3)});
  }
}

Result<int64_t> Store::appendEvent(const Event& event) {
  auto s = db_.prepare("INSERT INTO events (time, type, space_id, data) VALUES (?1,?2,?3,?4)");
  if (!s) return fail(std::move(s).error());
  s->bind(1, event.timeMs).bind(2, event.type).bind(3, event.space).bind(4, event.data.dump());
  SPACELET_TRY(s->run());
  return db_.lastInsertRowid();
}

Result<std::vector<Event>> Store::eventsAfter(int64_t after, const std::string& space,
                                              size_t limit) {
  auto s = db_.prepare(
      "SELECT seq, time, type, space_id, data FROM events WHERE seq > ?1 AND (?2 = '' OR "
      "space_id = ?2) ORDER BY seq LIMIT ?3");
  if (!s) return fail(std::move(s).error());
  s->bind(1, after).bind(2, space).bind(3, static_cast<int64_t>(limit));
  return collectEvents(*s);
}

Result<std::vector<Event>> Store::lastEvents(size_t count, const std::string& space) {
  auto s = db_.prepare(
      "SELECT * FROM (SELECT seq, time, type, space_id, data FROM events WHERE (?1 = '' OR "
      "space_id = ?1) ORDER BY seq DESC LIMIT ?2) ORDER BY seq");
  if (!s) return fail(std::move(s).error());
  s->bind(1, space).bind(2, static_cast<int64_t>(count));
  return collectEvents(*s);
}

Result<void> Store::trimEvents(size_t keep) {
  auto s = db_.prepare("DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?1");
  if (!s) return fail(std::move(s).error());
  s->bind(1, static_cast<int64_t>(keep));
  return s->run();
}

Result<std::optional<std::string>> Store::meta(const std::string& key) {
  auto s = db_.prepare("SELECT value FROM meta WHERE key=?1");
  if (!s) return fail(std::move(s).error());
  s->bind(1, key);
  auto row = s->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(s->blob(0));
}

Result<void> Store::putMeta(const std::string& key, const std::string& value) {
  auto s = db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  if (!s) return fail(std::move(s).error());
  s->bind(1, key).bindBlob(2, value);
  return s->run();
}

}  // namespace spacelet::agent::store
