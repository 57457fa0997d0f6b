// RuntimeContext: the services every pool and instance of the runtime plane shares, built once
// in main and outliving them all.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace kindling::http {
class LoopGroup;
}
namespace kindling::sandbox {
class LauncherClient;
}
namespace kindling::observe {
class LogStore;
}

namespace kindling::runtime {

class EnvironmentBuilder;

struct RuntimeOptions {
  int64_t idle_timeout_ms = 10 * 60 * 1000;  // reap an environment idle this long
  size_t log_cap_bytes = 1 << 20;            // per invocation
  int max_concurrency = 1000;                // account limit on concurrent executions
  int64_t init_grace_ms = 10000;             // init may take this much beyond the timeout
};

struct RuntimeContext {
  http::LoopGroup* loops = nullptr;
  sandbox::LauncherClient* launcher = nullptr;
  observe::LogStore* logs = nullptr;
  const EnvironmentBuilder* builder = nullptr;
  // Where the package with this content address is unpacked.
  std::function<std::string(const std::string& sha256_hex)> code_dir;
  RuntimeOptions options;

  std::atomic<int> in_flight{0};      // invocations admitted and not yet answered
  std::atomic<int> environments{0};   // live execution environments
};

}  // namespace kindling::runtime
