// FunctionService: the control-plane operations on functions, versions, aliases and tags.
//
// It validates inputs, stores packages in the CodeStore, commits every change to the StateStore
// before answering (so state survives restarts), then builds and publishes a new Registry
// snapshot for the invoke path. Before each publication it tells the RegistryListener (the
// runtime plane) so that execution environments of replaced versions can be retired.
//
// Threading: every method runs on the single control thread. Registry readers on other threads
// use the Published<Registry> snapshot instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "control/arn.h"
#include "control/inputs.h"
#include "control/registry.h"
#include "control/runtime_catalog.h"
#include "util/clock.h"
#include "util/published.h"
#include "util/status.h"

namespace kindling::store {
class CodeStore;
class StateStore;
class WriteBatch;
}  // namespace kindling::store

namespace kindling::control {

class RegistryListener {
 public:
  virtual ~RegistryListener() = default;
  // Called on the control thread with the registry that is about to be published.
  virtual void OnRegistryChange(const Registry& next) = 0;
};

struct AccountUsage {
  int64_t total_code_size = 0;
  int64_t function_count = 0;
};

// A page of a list operation.
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_marker;
};

class FunctionService {
 public:
  FunctionService(Account account, const RuntimeCatalog* runtimes, store::StateStore* state,
                  store::CodeStore* code, Published<Registry>* registry, const Clock* clock);

  void SetListener(RegistryListener* listener) { listener_ = listener; }
  // The account's limit on concurrent executions (GetAccountSettings, reservations).
  void SetConcurrencyLimit(int64_t limit) { concurrency_limit_ = limit; }
  int64_t concurrency_limit() const { return concurrency_limit_; }
  // What reservations must leave to the functions without one (Lambda: 100).
  int64_t MinimumUnreserved() const { return std::min<int64_t>(100, concurrency_limit_); }

  // Loads every function from the state store and publishes the first registry.
  Status Load();
  // Removes packages that no version references any more. Run at start-up, before any
  // environment exists (a running environment reads its package from the store). Returns how
  // many were removed.
  Result<int> CollectGarbage();

  const Account& account() const { return account_; }
  std::shared_ptr<const Registry> registry() const { return current_; }

  Result<std::shared_ptr<const FunctionConfig>> CreateFunction(CreateFunctionInput in);
  Result<Resolved> GetFunction(const FunctionRef& ref) const;
  Result<std::shared_ptr<const FunctionConfig>> UpdateFunctionCode(const std::string& name,
                                                                   UpdateCodeInput in);
  Result<std::shared_ptr<const FunctionConfig>> UpdateFunctionConfiguration(
      const std::string& name, UpdateConfigInput in);
  Status DeleteFunction(const FunctionRef& ref);
  // ListFunctions: $LATEST of each function, or every version with `all_versions`.
  Result<Page<std::shared_ptr<const FunctionConfig>>> ListFunctions(const ListInput& in,
                                                                    bool all_versions) const;

  Result<std::shared_ptr<const FunctionConfig>> PublishVersion(const std::string& name,
                                                               PublishInput in);
  Result<Page<std::shared_ptr<const FunctionConfig>>> ListVersions(const std::string& name,
                                                                   const ListInput& in) const;

  Result<AliasConfig> CreateAlias(const std::string& name, const std::string& alias,
                                  AliasInput in);
  Result<AliasConfig> GetAlias(const std::string& name, const std::string& alias) const;
  Result<AliasConfig> UpdateAlias(const std::string& name, const std::string& alias,
                                  AliasInput in);
  Status DeleteAlias(const std::string& name, const std::string& alias);
  Result<Page<AliasConfig>> ListAliases(const std::string& name,
                                        const std::optional<std::string>& function_version,
                                        const ListInput& in) const;

  Status TagResource(const std::string& name, const std::map<std::string, std::string>& tags);
  Status UntagResource(const std::string& name, const std::vector<std::string>& keys);
  Result<std::map<std::string, std::string>> ListTags(const std::string& name) const;

  AccountUsage Usage() const;

  // Reserved concurrency (unqualified functions only). 0 disables the function.
  Result<int64_t> PutFunctionConcurrency(const std::string& name, int64_t reserved);
  Result<std::optional<int64_t>> GetFunctionConcurrency(const std::string& name) const;
  Status DeleteFunctionConcurrency(const std::string& name);

  // Provisioned concurrency on a published version or an alias.
  Result<ProvisionedConfig> PutProvisionedConcurrency(const std::string& name,
                                                      const std::string& qualifier,
                                                      int64_t requested);
  Result<ProvisionedConfig> GetProvisionedConcurrency(const std::string& name,
                                                      const std::string& qualifier) const;
  Status DeleteProvisionedConcurrency(const std::string& name, const std::string& qualifier);

 private:
  using RecordPtr = std::shared_ptr<const FunctionRecord>;

  Result<RecordPtr> FindRecord(const std::string& name) const;
  // Commits `batch`, then installs `record` (nullptr removes the function).
  Status Save(const std::string& name, RecordPtr record, const store::WriteBatch& batch);
  Status SaveAlias(const FunctionRecord& old, const AliasConfig& alias);
  // Replaces (or with nullptr removes) one function's record and publishes the new registry.
  void Install(const std::string& name, RecordPtr record);
  Status CheckRevision(const std::optional<std::string>& given, const std::string& current,
                       bool alias = false) const;
  Result<std::shared_ptr<FunctionConfig>> NewVersionOf(const FunctionConfig& latest,
                                                       int64_t number,
                                                       const std::optional<std::string>& desc);
  Result<std::shared_ptr<const FunctionConfig>> PublishLocked(FunctionRecord* rec,
                                                              const std::optional<std::string>& d,
                                                              store::WriteBatch* batch);
  Status ApplyConfig(const ConfigInput& in, FunctionConfig* c, bool creating) const;
  Status ValidateAliasTarget(const FunctionRecord& rec, const std::string& version) const;
  Status ValidateRouting(const FunctionRecord& rec, const std::string& primary,
                         const std::map<std::string, double>& weights) const;

  Account account_;
  const RuntimeCatalog* runtimes_;
  store::StateStore* state_;
  store::CodeStore* code_;
  Published<Registry>* published_;
  const Clock* clock_;
  RegistryListener* listener_ = nullptr;
  std::shared_ptr<const Registry> current_;
  int64_t concurrency_limit_ = 1000;
};

// "No Provisioned Concurrency Config found for this function" (404).
Status ProvisionedConfigNotFound();

}  // namespace kindling::control
