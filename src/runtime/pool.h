// Pool: the execution environments of one function version's configuration (one
// FunctionConfig object). It hands idle environments to invocations — preferring one on the
// caller's event loop — and creates a new environment (a cold start) when none is idle.
//
// Threading: every method is thread-safe; the idle list and instance set are guarded by mu_ (a
// lock per version, never a global one). Instances call OnIdle/OnDead from their loop threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "control/function_config.h"
#include "runtime/function_state.h"
#include "runtime/invocation.h"

namespace kindling::runtime {

class Instance;
struct RuntimeContext;

struct PoolStats {
  int total = 0;
  int idle = 0;
};

// Provisioned concurrency of one version as the runtime sees it.
struct ProvisionedStatus {
  int64_t requested = 0;
  int64_t allocated = 0;  // initialised environments kept for it
  bool failed = false;
  std::string reason;
};

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(std::shared_ptr<const control::FunctionConfig> config, std::shared_ptr<FunctionState> state,
       RuntimeContext* ctx);

  const control::FunctionConfig& config() const { return *config_; }
  const std::shared_ptr<FunctionState>& state() const { return state_; }

  // Runs `invoke` on an idle environment or a new one. `loop_index` is the caller's loop (-1 when
  // the caller is not on a loop).
  void Invoke(std::unique_ptr<PendingInvoke> invoke, int loop_index);
  // An environment lost an invocation it had not started (it died first): try again once.
  void Redispatch(std::unique_ptr<PendingInvoke> invoke, int loop_index);

  // From instances, on their loop.
  void OnIdle(std::shared_ptr<Instance> instance);
  void OnDead(Instance* instance);

  // The configuration was replaced or deleted: idle environments go now, busy ones after their
  // invocation; no new environment starts idle.
  void Retire();
  // Kills environments idle since before `cutoff_ns` (monotonic).
  void ReapIdle(int64_t cutoff_ns);
  // Kills every environment (shutdown).
  void KillAll();

  // Provisioned concurrency: keep `count` environments initialised (created now, replaced when
  // they die, never reaped). Environments beyond a lowered count become ordinary ones.
  void SetProvisioned(int64_t count);
  ProvisionedStatus Provisioned();
  // From a provisioned instance when its runtime finished init (true) or died before (false).
  void OnProvisionedInit(Instance* instance, bool ok);

  PoolStats Stats();

 private:
  struct IdleEntry {
    std::shared_ptr<Instance> instance;
    int64_t since_ns;
  };
  static void PostKill(const std::shared_ptr<Instance>& instance, RuntimeContext* ctx,
                       const char* reason);

  // Creates `n` provisioned instances (call without mu_).
  void StartProvisioned(int64_t n);

  std::shared_ptr<const control::FunctionConfig> config_;
  std::shared_ptr<FunctionState> state_;
  RuntimeContext* ctx_;
  std::mutex mu_;
  std::vector<IdleEntry> idle_;                                            // guarded by mu_
  std::unordered_map<Instance*, std::shared_ptr<Instance>> instances_;     // guarded by mu_
  bool retired_ = false;                                                   // guarded by mu_
  int64_t provisioned_target_ = 0;                                         // guarded by mu_
  std::unordered_map<Instance*, bool> provisioned_;  // -> initialised;       guarded by mu_
  int provisioned_failures_ = 0;  // consecutive inits that failed;          guarded by mu_
  std::string provisioned_error_;                                          // guarded by mu_
};

}  // namespace kindling::runtime
