// Database and Statement: a thin RAII layer over SQLite.
//
// A Database is one connection, used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX;
// the owner serialises access). Statements belong to their Database and must not outlive it.
// Opening applies WAL journaling, the chosen `synchronous` level and runs the schema migrations
// the caller passes (versioned with PRAGMA user_version).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kindling::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);

  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion (for statements that return no rows).
  Status Run();
  void Reset();

  std::string ColumnText(int index) const;
  int64_t ColumnInt64(int index) const;
  bool ColumnIsNull(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

enum class Synchronous { kOff, kNormal, kFull };

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens (creating) `path` in WAL mode with `sync`, then applies every migration in
  // `migrations` whose index is >= the stored user_version, each in its own transaction.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, Synchronous sync,
                                                const std::vector<std::string>& migrations);

  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);

  Status Begin();
  Status Commit();
  void Rollback();

  // Runs PRAGMA quick_check; Internal error if the file is damaged.
  Status QuickCheck();

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace kindling::store
