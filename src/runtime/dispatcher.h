// Dispatcher: the entry of the invoke path into the runtime plane. It admits an invocation
// (account concurrency), picks the version (alias weights), finds that version's Pool and hands
// the invocation over. It also keeps one Pool per live function-version configuration in step
// with the registry, reaps idle environments, and drains everything at shutdown.
//
// Threading: Invoke from any thread (normally an event loop). OnRegistryChange on the control
// thread. The pool table is an immutable snapshot read without locks (util/published.h).
#pragma once

#include <memory>
#include <unordered_map>

#include "control/function_service.h"
#include "control/registry.h"
#include "runtime/function_state.h"
#include "runtime/invocation.h"
#include "runtime/pool.h"
#include "runtime/runtime_context.h"
#include "util/published.h"

namespace kindling::runtime {

// Pools keyed by the FunctionConfig object they serve, and per-function state.
struct PoolTable {
  std::unordered_map<const control::FunctionConfig*, std::shared_ptr<Pool>> pools;
  std::unordered_map<std::string, std::shared_ptr<FunctionState>> functions;
  int64_t reserved_total = 0;  // concurrency reserved by functions (the rest is shared)
};


class Dispatcher : public control::RegistryListener {
 public:
  explicit Dispatcher(RuntimeContext* ctx);

  // Invokes the version `resolved` names. `done` runs exactly once, on some loop thread.
  void Invoke(const control::Resolved& resolved, InvokeRequest request, InvokeCallback done);

  // control::RegistryListener: creates pools for new versions, retires replaced ones, and sets
  // each version's provisioned concurrency.
  void OnRegistryChange(const control::Registry& next) override;

  // The runtime's view of the provisioned concurrency of `config`.
  ProvisionedStatus GetProvisionedStatus(const control::FunctionConfig* config) const;
  // Prometheus text exposition of per-function and per-version metrics.
  std::string RenderMetrics() const;

  // Kills environments idle longer than the configured idle timeout. Any thread.
  void ReapIdle();
  // Blocks until no invocation is in flight or `deadline_ms` passes; returns the count left.
  int DrainInFlight(int64_t deadline_ms);
  // Kills every environment and waits (up to `deadline_ms`) until they are gone.
  void StopAll(int64_t deadline_ms);

  struct Stats {
    int in_flight = 0;
    int environments = 0;
  };
  Stats GetStats() const;

 private:
  std::shared_ptr<Pool> PoolFor(const control::FunctionConfig* config);

  RuntimeContext* ctx_;
  std::atomic<int64_t> unreserved_in_flight_{0};  // executions of functions without a reservation
  Published<PoolTable> table_;
  std::shared_ptr<const PoolTable> current_;  // control thread only
};

}  // namespace kindling::runtime
