// Cgroups: where this server's execution environments get their resource limits.
//
// Every environment gets its own cgroup under a per-server root,
// `<the server's own cgroup>/kindling-<key>/<name>`, in each hierarchy kindling uses (cgroup v1:
// memory, pids, cpu; cgroup v2: the unified tree). `key` is derived from the data directory, so
// the next start of the same server finds and removes whatever a killed run left behind.
//
// Limits: memory = MemorySize with swap off (memsw limit / memory.swap.max = 0), pids.max, and
// a CPU weight proportional to memory.
//
// Threading: Create/Remove/Sweep run in the launcher process; stat readers (CgroupStats) on any
// thread. The object itself is immutable after Discover.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/unique_fd.h"

namespace kindling::sandbox {

// The CFS period CPU quotas refer to. Short enough that a throttled environment stalls for at
// most ~20 ms (a 100 ms period gives ~70 ms stalls at 0.3 vCPU), long enough that 128 MB's
// share (1.45 ms) stays above the kernel's 1 ms minimum quota.
inline constexpr int64_t kCpuPeriodMicros = 20000;

struct CgroupLimits {
  int64_t memory_bytes = 128LL << 20;
  int64_t pids_max = 1024;
  int64_t cpu_weight = 1024;  // relative share; v1 cpu.shares, v2 cpu.weight (scaled)
};

class CgroupManager {
 public:
  enum class Version { kV1, kV2 };

  // No hierarchies: every operation is a no-op (reduced isolation without cgroups).
  CgroupManager() = default;

  // Finds the hierarchies this process belongs to and prepares `kindling-<key>` roots in them.
  static Result<CgroupManager> Discover(const std::string& key);

  Version version() const { return version_; }
  // Human-readable summary for the start-up log ("cgroup v1: memory, pids, cpu").
  std::string Describe() const;

  // Creates the cgroup `name` with `limits` (fails if it exists).
  Status Create(const std::string& name, const CgroupLimits& limits) const;
  // Caps `name` at `quota_us` of CPU time per kCpuPeriodMicros (with a burst of one quota).
  // Called by the server when an environment's runtime has finished initialising: like Lambda,
  // kindling lets the init phase run unthrottled. A no-op without cgroups.
  Status SetCpuQuota(const std::string& name, int64_t quota_us) const;
  // Moves the calling process into `name` (async-signal-safe; used between clone and exec).
  // Returns 0 or an errno value.
  int AttachSelf(const std::string& name) const;
  // SIGKILLs every process in `name` (for environments without a pid namespace).
  void KillAll(const std::string& name) const;
  // Removes `name`; EBUSY while processes remain (returned as an errno value).
  int Remove(const std::string& name) const;
  // Kills every process in every cgroup under this server's roots and removes them.
  // Returns how many cgroups were removed.
  int Sweep() const;
  // Removes the per-server roots themselves (at clean shutdown). Returns 0 or an errno value
  // (EBUSY while an environment's cgroup remains).
  int RemoveRoots() const;

  // Paths for stats readers. `controller` is "memory", "pids" or "cpu" (the unified tree on v2).
  std::string MemoryFile(const std::string& name, const char* file) const;
  std::string ControllerFile(const std::string& controller, const std::string& name,
                             const char* file) const;

 private:
  struct Hierarchy {
    std::string controller;  // "memory", "pids", "cpu" (v1) or "unified" (v2)
    std::string root;        // absolute path of kindling-<key>
  };
  Version version_ = Version::kV1;
  std::vector<Hierarchy> hierarchies_;
  bool has_memsw_ = false;
};

// Memory statistics of one environment's cgroup, read with pread on descriptors opened once
// (no path lookups on the invoke path). Owned by the instance; used on its loop thread.
class CgroupStats {
 public:
  CgroupStats() = default;
  static CgroupStats Open(const CgroupManager& cgroups, const std::string& name);
  // Peak memory use of the environment in bytes (0 if unknown).
  int64_t PeakMemoryBytes() const;
  // How many processes the OOM killer has killed in this cgroup.
  int64_t OomKills() const;

 private:
  UniqueFd peak_fd_;    // v1 memory.max_usage_in_bytes, v2 memory.peak
  UniqueFd events_fd_;  // v1 memory.oom_control, v2 memory.events
};

}  // namespace kindling::sandbox
