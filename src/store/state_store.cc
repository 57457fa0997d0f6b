#include "store/state_store.h"

namespace kindling::store {
namespace {

// Schema migrations, applied in order at open (PRAGMA user_version counts the applied ones).
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: functions, versions ($LATEST is a row too), aliases.
      "CREATE TABLE functions ("
      "  name TEXT PRIMARY KEY,"
      "  meta_json TEXT NOT NULL);"
      "CREATE TABLE versions ("
      "  name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,"
      "  version TEXT NOT NULL,"
      "  config_json TEXT NOT NULL,"
      "  PRIMARY KEY (name, version));"
      "CREATE TABLE aliases ("
      "  name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,"
      "  alias TEXT NOT NULL,"
      "  alias_json TEXT NOT NULL,"
      "  PRIMARY KEY (name, alias));",
  };
  return kMigrations;
}

}  // namespace

void WriteBatch::PutFunction(std::string name, std::string meta_json) {
  ops_.push_back({Kind::kPutFunction, std::move(name), std::move(meta_json), {}});
}
void WriteBatch::DeleteFunction(std::string name) {
  ops_.push_back({Kind::kDeleteFunction, std::move(name), {}, {}});
}
void WriteBatch::PutVersion(std::string name, std::string version, std::string config_json) {
  ops_.push_back({Kind::kPutVersion, std::move(name), std::move(version), std::move(config_json)});
}
void WriteBatch::DeleteVersion(std::string name, std::string version) {
  ops_.push_back({Kind::kDeleteVersion, std::move(name), std::move(version), {}});
}
void WriteBatch::PutAlias(std::string name, std::string alias, std::string alias_json) {
  ops_.push_back({Kind::kPutAlias, std::move(name), std::move(alias), std::move(alias_json)});
}
void WriteBatch::DeleteAlias(std::string name, std::string alias) {
  ops_.push_back({Kind::kDeleteAlias, std::move(name), std::move(alias), {}});
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  auto db = Database::Open(path, Synchronous::kFull, Migrations());
  if (!db.ok()) return db.status();
  return std::unique_ptr<StateStore>(new StateStore(std::move(db).value()));
}

Result<StateStore::Snapshot> StateStore::LoadAll() {
  Snapshot snap;
  {
    KINDLING_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT name, meta_json FROM functions"));
    while (true) {
      KINDLING_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      snap.functions.push_back({st.ColumnText(0), st.ColumnText(1)});
    }
  }
  {
    KINDLING_ASSIGN_OR_RETURN(auto st,
                              db_->Prepare("SELECT name, version, config_json FROM versions"));
    while (true) {
      KINDLING_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      snap.versions.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnText(2)});
    }
  }
  {
    KINDLING_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT name, alias, alias_json FROM aliases"));
    while (true) {
      KINDLING_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      snap.aliases.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnText(2)});
    }
  }
  return snap;
}

Status StateStore::Commit(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  KINDLING_RETURN_IF_ERROR(db_->Begin());
  Status status;
  for (const auto& op : batch.ops_) {
    const char* sql = nullptr;
    switch (op.kind) {
      case WriteBatch::Kind::kPutFunction:
        sql =
            "INSERT INTO functions(name, meta_json) VALUES(?1, ?2) "
            "ON CONFLICT(name) DO UPDATE SET meta_json=excluded.meta_json";
        break;
      case WriteBatch::Kind::kDeleteFunction:
        sql = "DELETE FROM functions WHERE name=?1";
        break;
      case WriteBatch::Kind::kPutVersion:
        sql =
            "INSERT INTO versions(name, version, config_json) VALUES(?1, ?2, ?3) "
            "ON CONFLICT(name, version) DO UPDATE SET config_json=excluded.config_json";
        break;
      case WriteBatch::Kind::kDeleteVersion:
        sql = "DELETE FROM versions WHERE name=?1 AND version=?2";
        break;
      case WriteBatch::Kind::kPutAlias:
        sql =
            "INSERT INTO aliases(name, alias, alias_json) VALUES(?1, ?2, ?3) "
            "ON CONFLICT(name, alias) DO UPDATE SET alias_json=excluded.alias_json";
        break;
      case WriteBatch::Kind::kDeleteAlias:
        sql = "DELETE FROM aliases WHERE name=?1 AND alias=?2";
        break;
    }
    auto st = db_->Prepare(sql);
    if (!st.ok()) {
      status = st.status();
      break;
    }
    // Binding an index the statement lacks is a harmless no-op in SQLite.
    st->Bind(1, op.a).Bind(2, op.b).Bind(3, op.c);
    status = st->Run();
    if (!status.ok()) break;
  }
  if (!status.ok()) {
    db_->Rollback();
    return status;
  }
  return db_->Commit();
}

}  // namespace kindling::store
