// Isolation layers of an execution environment, and the start-up probe that finds which of them
// this host supports.
//
// kindling applies every layer by default. A layer the host lacks makes the server refuse to
// start unless the operator names it in --reduced-isolation (so nobody loses a layer silently).
//
// Threading: ProbeIsolation forks, so it must run while the process has one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace kindling::sandbox {

enum Layer : uint32_t {
  kPidNamespace = 1u << 0,      // own process tree; sees only its own processes
  kMountNamespace = 1u << 1,    // tmpfs root, read-only binds, own /tmp, no /sys
  kNetworkNamespace = 1u << 2,  // loopback only; Runtime API at 127.0.0.1:9001
  kIpcNamespace = 1u << 3,
  kUtsNamespace = 1u << 4,
  kCgroupNamespace = 1u << 5,
  kUnprivilegedUser = 1u << 6,  // reserved uid/gid, no capabilities
  kSeccomp = 1u << 7,           // system-call filter + NO_NEW_PRIVS
  kCgroupLimits = 1u << 8,      // memory, pids and CPU limits
};
inline constexpr uint32_t kAllLayers = (1u << 9) - 1;

// "pid-ns", "mount-ns", "net-ns", "ipc-ns", "uts-ns", "cgroup-ns", "uid", "seccomp", "cgroups".
std::string LayerName(Layer layer);
std::vector<Layer> AllLayers();
// "mount-ns,seccomp" -> bits. InvalidParameter naming the unknown word.
Result<uint32_t> ParseLayers(const std::string& list);
std::string DescribeLayers(uint32_t layers);

struct ProbeResult {
  uint32_t available = 0;
  std::vector<std::string> problems;  // why each missing layer is missing
};

// Tries each layer in a short-lived child. `root_mountpoint` is an empty directory to test
// mounting a tmpfs root on (in a private mount namespace).
ProbeResult ProbeIsolation(const std::string& root_mountpoint);

}  // namespace kindling::sandbox
