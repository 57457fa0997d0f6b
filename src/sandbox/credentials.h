// Dropping an environment's process to its reserved uid/gid with no capabilities, and its
// resource limits. Async-signal-safe: used between fork and exec in the launcher's children.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace kindling::sandbox {

// Clears supplementary groups, the capability bounding and ambient sets, then switches real,
// effective and saved ids to `uid`/`gid` (which empties the permitted and effective sets).
// Returns 0 or an errno. PR_SET_PDEATHSIG is cleared by the switch: set it again afterwards.
int DropPrivileges(uid_t uid, gid_t gid);

// RLIMIT_NOFILE 1024, RLIMIT_NPROC 1024, RLIMIT_CORE 0, RLIMIT_FSIZE `max_file_bytes`.
int ApplyResourceLimits(int64_t max_file_bytes);

}  // namespace kindling::sandbox
