// StateStore: durable control-plane state — functions, their versions ($LATEST included) and
// aliases — in SQLite (`<data-dir>/kindling.db`, WAL, synchronous=FULL: a control-plane change
// acknowledged to a client survives a crash and a power loss).
//
// Rows hold opaque JSON documents owned by control/ (the store knows no domain types). Changes
// are applied as a WriteBatch in one transaction, so a multi-row change (publish a version and
// update the function) is all or nothing.
//
// Threading: one thread (the control thread) uses a StateStore.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/status.h"

namespace kindling::store {

struct FunctionRow {
  std::string name;
  std::string meta_json;
};
struct VersionRow {
  std::string name;
  std::string version;  // "$LATEST" or a number
  std::string config_json;
};
struct AliasRow {
  std::string name;
  std::string alias;
  std::string alias_json;
};

class WriteBatch {
 public:
  void PutFunction(std::string name, std::string meta_json);
  // Deletes the function with all its versions and aliases.
  void DeleteFunction(std::string name);
  void PutVersion(std::string name, std::string version, std::string config_json);
  void DeleteVersion(std::string name, std::string version);
  void PutAlias(std::string name, std::string alias, std::string alias_json);
  void DeleteAlias(std::string name, std::string alias);
  bool empty() const { return ops_.empty(); }

 private:
  friend class StateStore;
  enum class Kind {
    kPutFunction,
    kDeleteFunction,
    kPutVersion,
    kDeleteVersion,
    kPutAlias,
    kDeleteAlias
  };
  struct Op {
    Kind kind;
    std::string a, b, c;
  };
  std::vector<Op> ops_;
};

class StateStore {
 public:
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);

  struct Snapshot {
    std::vector<FunctionRow> functions;
    std::vector<VersionRow> versions;
    std::vector<AliasRow> aliases;
  };
  Result<Snapshot> LoadAll();

  Status Commit(const WriteBatch& batch);

 private:
  explicit StateStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  std::unique_ptr<Database> db_;
};

}  // namespace kindling::store
