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

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path; no shell, no PATH lookup
  std::vector<std::string> env;   // "KEY=value"
  std::string cwd;
  std::string cgroup;             // name of the environment's cgroup (unique per environment)
  CgroupLimits limits;

  std::string ToJson() const;
  static Result<SpawnSpec> FromJson(std::string_view json);
};

}  // namespace kindling::sandbox
