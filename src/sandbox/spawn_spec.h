// SpawnSpec: everything the launcher needs to start one execution environment, independent of
// Lambda: the program, its environment and working directory, its cgroup and limits.
//
// Plain value; built by runtime/ on any thread and shipped to the launcher process.
#pragma once

#include <string>
#include <vector>

#include "sandbox/cgroups.h"
#include "util/status.h"

namespace kindling::sandbox {

// A host path made visible read-only inside the environment's root.
struct BindMount {
  std::string source;  // host path
  std::string target;  // absolute path inside the environment ("/var/task")
};

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path; no shell, no PATH lookup
  std::vector<std::string> env;   // "KEY=value"; the launcher sets AWS_LAMBDA_RUNTIME_API
  std::string cwd;
  std::string cgroup;             // name of the environment's cgroup (unique per environment)
  CgroupLimits limits;
  uint32_t layers = 0x1ff;        // isolation layers to apply (sandbox/isolation.h)
  std::vector<BindMount> binds;   // with the mount namespace
  int64_t tmp_bytes = 512LL << 20;  // size of /tmp (and RLIMIT_FSIZE)
  std::string hostname = "localhost";

  std::string ToJson() const;
  static Result<SpawnSpec> FromJson(std::string_view json);
};

}  // namespace kindling::sandbox
