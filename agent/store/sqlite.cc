// Implementation of the SQLite RAII layer (see sqlite.h).
#include "agent/store/sqlite.h"

#include <utility>

namespace spacelet::agent::store {

Result<Database> Database::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db;
  db.db_.reset(raw);
  db.path_ = path;
  if (rc != SQLITE_OK) {
    return fail(Error{
        EIO, "open database '" + path + "': " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))});
  }
  sqlite3_busy_timeout(raw, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                             "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON"}) {
    SPACELET_TRY_CONTEXT(db.exec(pragma), "open database '" + path + "'");
  }
  return db;
}

Error Database::error(std::string_view what) const {
  int code = sqlite3_extended_errcode(db_.get());
  int err = (code & 0xff) == SQLITE_FULL ? ENOSPC : (code & 0xff) == SQLITE_BUSY ? EBUSY : EIO;
  return Error{err, std::string(what) + ": " + sqlite3_errmsg(db_.get()) + " (sqlite " +
                        std::to_string(code) + ")"};
}

Result<void> Database::exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return fail(Error{EIO, "database '" + path_ + "': " + text});
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return fail(error("prepare '" + std::string(sql) + "'"));
  return Statement(stmt, this);
}

Statement& Statement::bind(int index, std::string_view text) {
  // A null data pointer would bind SQL NULL; an empty string_view means the empty string.
  const char* data = text.data() ? text.data() : "";
  int rc =
      sqlite3_bind_text(stmt_.get(), index, data, static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bindError_ = rc;
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) bindError_ = rc;
  return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
  const char* data = bytes.data() ? bytes.data() : "";
  int rc =
      sqlite3_bind_blob(stmt_.get(), index, data, static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bindError_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bindError_ != SQLITE_OK)
    return fail(Error{EINVAL, std::string("bind parameter: ") + sqlite3_errstr(bindError_)});
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(db_->error(std::string("run '") + sqlite3_sql(stmt_.get()) + "'"));
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return {};
  }
}

Result<void> Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bindError_ = SQLITE_OK;
  return {};
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), column);
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_.get(), column);
  int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

Result<Transaction> Transaction::begin(Database& db) {
  SPACELET_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  SPACELET_TRY(db_->exec("COMMIT"));
  db_ = nullptr;
  return {};
}

}  // namespace spacelet::agent::store
