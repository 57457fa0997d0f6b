#include "store/database.h"

#include <sqlite3.h>

#include <utility>

namespace kindling::store {
namespace {

Status SqlError(sqlite3* db, std::string_view what) {
  return Internal(std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqlError(db_, "sqlite step");
}

Status Statement::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::ColumnText(int index) const {
  const auto* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

int64_t Statement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Database::~Database() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, Synchronous sync,
                                                 const std::vector<std::string>& migrations) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Database> db(new Database(raw));
  if (rc != SQLITE_OK) return SqlError(raw, "cannot open database " + path);
  sqlite3_busy_timeout(raw, 5000);
  KINDLING_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  const char* level = sync == Synchronous::kFull     ? "PRAGMA synchronous=FULL"
                      : sync == Synchronous::kNormal ? "PRAGMA synchronous=NORMAL"
                                                     : "PRAGMA synchronous=OFF";
  KINDLING_RETURN_IF_ERROR(db->Exec(level));
  KINDLING_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  KINDLING_RETURN_IF_ERROR(db->QuickCheck());

  auto version_stmt = db->Prepare("PRAGMA user_version");
  if (!version_stmt.ok()) return version_stmt.status();
  auto has = version_stmt->Step();
  if (!has.ok()) return has.status();
  int64_t version = *has ? version_stmt->ColumnInt64(0) : 0;
  version_stmt->Reset();
  if (version > static_cast<int64_t>(migrations.size())) {
    return Internal("database " + path + " has schema version " + std::to_string(version) +
                    ", newer than this kindling understands (" + std::to_string(migrations.size()) +
                    ")");
  }
  for (size_t i = static_cast<size_t>(version); i < migrations.size(); ++i) {
    KINDLING_RETURN_IF_ERROR(db->Begin());
    Status s = db->Exec(migrations[i]);
    if (s.ok()) s = db->Exec("PRAGMA user_version=" + std::to_string(i + 1));
    if (!s.ok()) {
      db->Rollback();
      return s;
    }
    KINDLING_RETURN_IF_ERROR(db->Commit());
  }
  return db;
}

Status Database::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Internal("sqlite: " + msg);
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return SqlError(db_, "sqlite prepare");
  }
  return Statement(db_, stmt);
}

Status Database::Begin() { return Exec("BEGIN IMMEDIATE"); }
Status Database::Commit() { return Exec("COMMIT"); }
void Database::Rollback() { (void)Exec("ROLLBACK"); }

Status Database::QuickCheck() {
  auto st = Prepare("PRAGMA quick_check");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row || st->ColumnText(0) != "ok") {
    return Internal("database failed its integrity check: " + (*row ? st->ColumnText(0) : ""));
  }
  return Status::Ok();
}

}  // namespace kindling::store
