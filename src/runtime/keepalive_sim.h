// Keep-alive simulation: replays invocation traces against KeepAlivePolicy objects and counts
// cold starts and idle memory, plus a fixed-seed synthetic trace shaped after the Azure Functions
// characterization of "Serverless in the Wild" (docs/keepalive.md, perf-anchors §A5). Used by
// keepalive_sim_test.cc and bench/keepalive_sim_main.cc; nothing in the server calls it.
//
// Model (the paper's simulator): a function's code is either loaded or not — one environment per
// function, concurrency ignored (an invocation that arrives while another one runs is warm). An
// invocation is a cold start when nothing is loaded at its arrival: the very first one, one after
// the keep-alive expired, and one that arrives before a scheduled pre-warm. Idle memory is the
// time the environment is loaded but runs nothing, weighted by the function's memory size.
// Start-up time is not modelled (a cold start occupies no extra time). The horizon ends the
// trace: idle time past it is not counted.
//
// Threading: free functions and value types; a SyntheticTrace is immutable after construction
// and may be shared between threads (each Generate call uses its own random state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/keepalive_policy.h"

namespace kindling::runtime {

struct TraceInvocation {
  int64_t start_ms = 0;
  int64_t duration_ms = 0;
};

enum class TraceKind { kTimer, kHttp, kQueue, kCount };
const char* TraceKindName(TraceKind kind);

struct FunctionTrace {
  TraceKind kind = TraceKind::kHttp;
  int memory_mb = 128;
  std::vector<TraceInvocation> invocations;  // sorted by start_ms
};

// What happened to one function under one policy.
struct FunctionSimResult {
  int64_t invocations = 0;
  int64_t cold_starts = 0;
  int64_t prewarms = 0;         // environments loaded by a pre-warm
  int64_t wasted_prewarms = 0;  // ... that expired before the next invocation
  int64_t idle_ms = 0;          // loaded and not executing
};

// Replays `trace` (sorted invocations starting before `horizon_ms`) against `policy`, which
// must be fresh.
FunctionSimResult SimulateFunction(const FunctionTrace& trace, int64_t horizon_ms,
                                   KeepAlivePolicy& policy);

// Totals over many functions for one policy.
struct SimTotals {
  int64_t functions = 0;
  int64_t invocations = 0;
  int64_t cold_starts = 0;
  int64_t prewarms = 0;
  int64_t wasted_prewarms = 0;
  int64_t idle_ms = 0;                        // environment-milliseconds
  double idle_gb_s = 0.0;                     // idle_ms weighted by memory size, in GB-seconds
  std::vector<double> function_cold_percent;  // per function: cold starts / invocations * 100

  void Add(const FunctionTrace& trace, const FunctionSimResult& result);
  double ColdStartPercent() const;
  // The `percentile` (0..100, nearest rank) of function_cold_percent.
  double FunctionColdPercentile(double percentile) const;
  double IdleEnvHours() const { return static_cast<double>(idle_ms) / 3.6e6; }
};

struct PolicySpec {
  std::string name;
  std::function<std::unique_ptr<KeepAlivePolicy>()> make;  // one fresh policy per function
};

struct SyntheticTraceOptions {
  uint64_t seed = 20200715;  // fixed: the numbers in docs/keepalive.md come from this seed
  int functions = 1000;
  int64_t horizon_ms = int64_t{7} * 24 * 3600 * 1000;  // one week
};

// A deterministic synthetic trace: function i depends only on (seed, i). The mix (per 1000
// functions) follows the ATC'20 characterization — triggers: 16% timers, 55% HTTP, 29% queue /
// event / storage (bursty); mean rates: 45% at most once per hour, 81% at most once per minute,
// 3% above once per second; per-function mean execution time log-normal with median 1 s and
// 20% under 100 ms. Details in keepalive_sim.cc and docs/keepalive.md.
class SyntheticTrace {
 public:
  explicit SyntheticTrace(SyntheticTraceOptions options = {});
  int size() const { return options_.functions; }
  int64_t horizon_ms() const { return options_.horizon_ms; }
  FunctionTrace Generate(int index) const;

 private:
  SyntheticTraceOptions options_;
};

// Per policy: totals over all functions and by trace kind.
struct SimReport {
  std::string policy;
  SimTotals total;
  std::vector<SimTotals> by_kind;  // indexed by TraceKind
};

// Generates each function of `trace` once and replays it against every policy.
std::vector<SimReport> SimulateTrace(const SyntheticTrace& trace,
                                     const std::vector<PolicySpec>& policies);

}  // namespace kindling::runtime
