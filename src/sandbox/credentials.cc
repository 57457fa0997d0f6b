#include "sandbox/credentials.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace kindling::sandbox {

int DropPrivileges(uid_t uid, gid_t gid) {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return errno;
  }
  if (setgroups(0, nullptr) != 0) return errno;
  if (setresgid(gid, gid, gid) != 0) return errno;
  if (setresuid(uid, uid, uid) != 0) return errno;
  // Paranoia: the switch must have taken, and root must be unreachable again.
  if (getuid() != uid || geteuid() != uid || getgid() != gid) return EPERM;
  if (uid != 0 && setresuid(0, 0, 0) == 0) return EPERM;
  return 0;
}

int ApplyResourceLimits(int64_t max_file_bytes) {
  struct {
    int resource;
    rlim_t value;
  } limits[] = {{RLIMIT_NOFILE, 1024},
                {RLIMIT_NPROC, 1024},
                {RLIMIT_CORE, 0},
                {RLIMIT_FSIZE, static_cast<rlim_t>(max_file_bytes)}};
  for (const auto& l : limits) {
    rlimit r{l.value, l.value};
    if (setrlimit(l.resource, &r) != 0) return errno;
  }
  return 0;
}

}  // namespace kindling::sandbox
