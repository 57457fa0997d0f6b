// Server: `kindling serve` — wires every plane together and runs until SIGINT/SIGTERM.
//
// Start-up order matters: the launcher process is forked first, while the process still has a
// single thread; then stores, loops and listeners come up. Shutdown is graceful: stop
// accepting, let in-flight invocations finish (up to a deadline), stop every environment, flush
// logs, remove this server's cgroups.
//
// Threading: Run() on the main thread; it blocks until shutdown completes.
#pragma once

#include <cstdint>
#include <string>

#include "control/arn.h"

namespace kindling::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:9000";
  std::string data_dir = "./.kindling";
  int threads = 0;  // event loops; 0 = one per CPU
  control::Account account;
  int64_t idle_timeout_ms = 10 * 60 * 1000;
  int max_concurrency = 1000;
  size_t log_cap_bytes = 1 << 20;
  int64_t shutdown_grace_ms = 30000;
  // Isolation layers the operator accepts to lose (sandbox/isolation.h bits). Every layer is
  // applied unless named here; a layer the host lacks must be named or kindling will not start.
  uint32_t reduced_isolation = 0;
  std::string log_level = "info";
};

// Returns the process exit status.
int RunServer(const ServerOptions& options);

}  // namespace kindling::server
