// The filesystem of an execution environment: a fresh tmpfs root holding only what a runtime
// needs, then pivot_root into it.
//
//   /            tmpfs, remounted read-only once built
//   /usr         read-only bind of the host's /usr (interpreters, libraries); /usr/local hidden
//                unless a runtime lives there; /bin /lib /lib64 /sbin as on the host (symlinks
//                into usr on merged-/usr systems)
//   /etc         a few generated files (passwd, group, hosts, nsswitch.conf, resolv.conf) plus
//                read-only binds of ld.so.cache, alternatives and ssl/certs — nothing else of the
//                host's /etc (no shadow, no ssl/private)
//   /var/task    the function's package, read-only     (SpawnSpec::binds)
//   /var/runtime kindling's runtime clients, read-only  (SpawnSpec::binds)
//   /opt         empty (layers later)
//   /tmp         tmpfs of EphemeralStorage bytes, mode 1777 (its pages count against the
//                environment's memory limit)
//   /dev         tmpfs with null, zero, full, random, urandom and the fd symlinks
//   /proc        a fresh proc of the environment's pid namespace; no /sys at all
//
// Threading: RootfsPlan is built once in the launcher; BuildRoot runs in a single-threaded child.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "sandbox/spawn_spec.h"

namespace kindling::sandbox {

struct RootfsPlan {
  std::string mountpoint;  // an empty host directory; mounted over only in private namespaces
  std::vector<std::pair<std::string, std::string>> symlinks;  // "/bin" -> "usr/bin"
  std::vector<std::string> dirs;      // host directories bound read-only at the same path
  std::vector<std::string> files;     // host files bound read-only at the same path
  std::vector<std::string> hidden;    // covered by an empty read-only tmpfs

  // Looks at this host's layout. `expose_usr_local`: keep /usr/local (a runtime lives there).
  static RootfsPlan ForHost(std::string mountpoint, bool expose_usr_local);
};

// In the environment's init (root, in its own mount and pid namespaces): builds the root for
// `spec` and pivots into it. Returns 0, or an errno with *step naming what failed.
int BuildRoot(const RootfsPlan& plan, const SpawnSpec& spec, uid_t uid, gid_t gid,
              const char** step);

}  // namespace kindling::sandbox
