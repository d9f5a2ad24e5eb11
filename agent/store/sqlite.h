// A thin RAII layer over SQLite's C API: a Database owns a connection, a Statement owns a
// prepared statement, a Transaction rolls back unless committed. Errors carry SQLite's
// extended result code and message. Thread-safety: one thread per Database (the connection is
// opened with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::agent::store {

class Statement;

class Database {
 public:
  // Opens (creating when missing) a database file: WAL journal, synchronous=FULL (a committed
  // transaction survives a crash of the process and of the machine), foreign keys on,
  // secure_delete on, and a busy timeout for a second process reading the same file.
  static Result<Database> open(const std::string& path);

  Result<void> exec(const std::string& sql);
  Result<Statement> prepare(std::string_view sql);
  int64_t lastInsertRowid() const { return sqlite3_last_insert_rowid(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

  // An error from the last failed call on this connection, with context.
  Error error(std::string_view what) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
};

class Statement {
 public:
  Statement(sqlite3_stmt* stmt, const Database* db) : stmt_(stmt), db_(db) {}

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bindBlob(int index, std::string_view bytes);
  // Steps once: true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion (for statements without rows).
  Result<void> run();
  Result<void> reset();

  std::string text(int column) const;
  std::string blob(int column) const;
  int64_t integer(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  const Database* db_;
  int bindError_ = SQLITE_OK;
};

// BEGIN IMMEDIATE on construction (take the write lock now, not half-way through); ROLLBACK on
// destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace spacelet::agent::store
