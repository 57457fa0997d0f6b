// SeccompFilter: the system-call policy of every execution environment, compiled once (with
// libseccomp) into a BPF program that the launcher's children install right before exec.
//
// Policy: default allow, with the calls that reach kernel attack surface a function never needs
// denied with EPERM — namespaces and mounts (mount, umount2, pivot_root, chroot, unshare, setns,
// clone with any CLONE_NEW* flag, the new mount API), tracing and cross-process memory (ptrace,
// process_vm_*, kcmp, pidfd_getfd), the kernel keyring, bpf, perf_event_open, userfaultfd,
// io_uring, module loading, kexec, reboot, swap, clock setting, quotas, accounting, handle-based
// opens (open_by_handle_at, name_to_handle_at), TIOCSTI/TIOCLINUX. clone3 gets ENOSYS (its flags
// sit in memory a filter cannot read; libc falls back to clone, which is checked). Any other
// architecture's entry points (i386 `int 0x80`, x32) kill the process.
//
// Threading: Build() once; Install() in a single-threaded child (it applies to the caller).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "util/status.h"

namespace kindling::sandbox {

class SeccompFilter {
 public:
  static Result<SeccompFilter> Build();

  // Sets NO_NEW_PRIVS and installs the filter on the calling thread. Returns 0 or an errno.
  // Async-signal-safe (no allocation).
  int Install() const;

  size_t instructions() const { return program_.size(); }
  // The names of the denied calls, for the docs and the start-up log.
  static std::vector<std::string> DeniedSyscalls();

 private:
  std::vector<sock_filter> program_;
};

}  // namespace kindling::sandbox
