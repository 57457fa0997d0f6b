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

// CPU time per sandbox::kCpuPeriodMicros for `memory_mb` (1769 MB = one vCPU; at least 1 ms).
int64_t CpuQuotaMicros(int memory_mb);

// Paths the function sees when it has its own root filesystem.
inline constexpr char kTaskRoot[] = "/var/task";
inline constexpr char kRuntimeRoot[] = "/var/runtime";

class EnvironmentBuilder {
 public:
  // `layers`: the isolation layers every environment gets (sandbox/isolation.h).
  EnvironmentBuilder(control::Account account, const control::RuntimeCatalog* runtimes,
                     std::string runtime_dir, uint32_t layers)
      : account_(std::move(account)),
        runtimes_(runtimes),
        runtime_dir_(std::move(runtime_dir)),
        layers_(layers) {}

  // `code_dir`: where the version's package is unpacked on the host (bound at /var/task).
  // `instance_hex`: 32 hex characters naming the environment (log stream, cgroup). The launcher
  // fills in AWS_LAMBDA_RUNTIME_API.
  // Errors: Runtime.InvalidEntrypoint-style failures (no bootstrap) as kInvalidParameter.
  Result<sandbox::SpawnSpec> Build(const control::FunctionConfig& config,
                                   const std::string& code_dir,
                                   const std::string& instance_hex,
                                   bool provisioned = false) const;

  // "2024/01/31/[$LATEST]<instance_hex>"
  static std::string LogStreamName(const control::FunctionConfig& config,
                                   const std::string& instance_hex, int64_t wall_ms);

  const control::RuntimeCatalog& runtimes() const { return *runtimes_; }
  const control::Account& account() const { return account_; }
  uint32_t layers() const { return layers_; }

 private:
  control::Account account_;
  const control::RuntimeCatalog* runtimes_;
  std::string runtime_dir_;  // on the host
  uint32_t layers_;
};

}  // namespace kindling::runtime
