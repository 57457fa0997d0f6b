// FunctionState: what the runtime plane keeps per function across its versions and
// configuration changes — the concurrency it is using and its metrics counters.
//
// Shared (shared_ptr) by every Pool of the function and by the Dispatcher's table. All fields are
// atomics: updated on the invoke path from any loop thread without a lock, read by /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace kindling::runtime {

struct FunctionMetrics {
  std::atomic<uint64_t> invocations{0};      // admitted
  std::atomic<uint64_t> function_errors{0};  // answered with X-Amz-Function-Error
  std::atomic<uint64_t> throttles{0};        // refused with 429
  std::atomic<uint64_t> cold_starts{0};      // invocations that had to create an environment
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> init_count{0};       // environments that finished init
  std::atomic<uint64_t> init_us_total{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> duration_us_total{0};
};

struct FunctionState {
  explicit FunctionState(std::string function) : name(std::move(function)) {}
  const std::string name;
  std::atomic<int64_t> in_flight{0};  // this function's concurrent executions
  FunctionMetrics metrics;
};

}  // namespace kindling::runtime
