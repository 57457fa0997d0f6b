// EnvironmentBuilder: turns a function version's configuration into the SpawnSpec of one
// execution environment — the runtime's command line and the Lambda environment variables of
// spec §6.1 (reserved variables win over the function's own).
//
// Immutable after construction; thread-safe.
#pragma once

#include <string>

#include "control/arn.h"
#include "control/function_config.h"
#include "control/runtime_catalog.h"
#include "sandbox/spawn_spec.h"
#include "util/status.h"

namespace kindling::runtime {

struct EnvironmentPaths {
  std::string code_dir;      // unpacked package (LAMBDA_TASK_ROOT)
  std::string runtime_dir;   // kindling's runtime bootstraps (LAMBDA_RUNTIME_DIR)
};

class EnvironmentBuilder {
 public:
  EnvironmentBuilder(control::Account account, const control::RuntimeCatalog* runtimes,
                     std::string runtime_dir)
      : account_(std::move(account)), runtimes_(runtimes), runtime_dir_(std::move(runtime_dir)) {}

  // `code_dir`: where the version's package is unpacked. `runtime_api`: "host:port".
  // `instance_hex`: 32 hex characters naming the environment (log stream, cgroup).
  // Errors: Runtime.InvalidEntrypoint-style failures (no bootstrap) as kInvalidParameter.
  Result<sandbox::SpawnSpec> Build(const control::FunctionConfig& config,
                                   const std::string& code_dir, const std::string& runtime_api,
                                   const std::string& instance_hex) const;

  // "2024/01/31/[$LATEST]<instance_hex>"
  static std::string LogStreamName(const control::FunctionConfig& config,
                                   const std::string& instance_hex, int64_t wall_ms);

  const control::RuntimeCatalog& runtimes() const { return *runtimes_; }
  const control::Account& account() const { return account_; }

 private:
  control::Account account_;
  const control::RuntimeCatalog* runtimes_;
  std::string runtime_dir_;
};

}  // namespace kindling::runtime
