// Registry: an immutable snapshot of every function, its versions, aliases and tags — what the
// invoke path reads to resolve a name and qualifier without touching disk.
//
// The FunctionService (control thread) builds a new Registry after each change and publishes it
// through util/published.h; readers on any thread hold snapshots by shared_ptr.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/arn.h"
#include "control/function_config.h"
#include "util/status.h"

namespace kindling::control {

struct AliasConfig {
  std::string name;
  std::string function_version;  // "$LATEST" or a version number
  std::string description;
  std::string revision_id;
  // RoutingConfig.AdditionalVersionWeights: at most one {version: weight}.
  std::map<std::string, double> additional_weights;

  std::string ToStoredJson() const;
  static Result<AliasConfig> FromStoredJson(const std::string& json);
};

// A provisioned-concurrency configuration on a version or alias.
struct ProvisionedConfig {
  int64_t requested = 0;
  std::string last_modified;  // Lambda timestamp
};

struct FunctionRecord {
  std::shared_ptr<const FunctionConfig> latest;
  std::map<int64_t, std::shared_ptr<const FunctionConfig>> versions;
  std::map<std::string, AliasConfig> aliases;
  std::map<std::string, std::string> tags;
  int64_t last_version = 0;  // highest number ever published; numbers are never reused
  std::optional<int64_t> reserved_concurrency;          // PutFunctionConcurrency
  std::map<std::string, ProvisionedConfig> provisioned;  // by qualifier (version or alias)

  const std::string& name() const { return latest->name; }

  // The version a provisioned-concurrency qualifier designates (an alias's primary version), or
  // null if it no longer exists.
  std::shared_ptr<const FunctionConfig> ProvisionedTarget(const std::string& qualifier) const;

  // Function-level metadata (tags, last_version, concurrency) for the state store.
  std::string MetaToStoredJson() const;
  Status MetaFromStoredJson(const std::string& json);
};

// What a name + qualifier resolves to.
struct Resolved {
  std::shared_ptr<const FunctionRecord> record;
  std::shared_ptr<const FunctionConfig> config;  // the version that runs
  std::optional<std::string> qualifier;          // as the caller named it
  const AliasConfig* alias = nullptr;            // when the qualifier is an alias
};

class Registry {
 public:
  Registry() = default;
  explicit Registry(std::map<std::string, std::shared_ptr<const FunctionRecord>> functions);

  std::shared_ptr<const FunctionRecord> Find(const std::string& name) const;

  // Resolves `ref` ($LATEST when unqualified, a version number, or an alias) or returns
  // ResourceNotFoundException with Lambda's message.
  Result<Resolved> Resolve(const FunctionRef& ref, const Account& account) const;

  const std::map<std::string, std::shared_ptr<const FunctionRecord>>& functions() const {
    return functions_;
  }
  // Sum of every function's reserved concurrency.
  int64_t reserved_total() const { return reserved_total_; }

 private:
  std::map<std::string, std::shared_ptr<const FunctionRecord>> functions_;
  int64_t reserved_total_ = 0;
};

// "Function not found: arn:...[:qualifier]"
Status FunctionNotFound(const Account& account, const std::string& name,
                        const std::optional<std::string>& qualifier = std::nullopt);

}  // namespace kindling::control
