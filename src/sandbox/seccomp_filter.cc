#include "sandbox/seccomp_filter.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace kindling::sandbox {
namespace {

// Denied with EPERM. Names unknown to this libseccomp/kernel are skipped.
const char* const kDenied[] = {
    // namespaces and mounts
    "mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen",
    "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
    // tracing and other processes' memory or descriptors
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // kernel keyring (not namespaced)
    "keyctl", "add_key", "request_key",
    // large kernel attack surface
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "lookup_dcookie",
    // modules, kexec, the machine itself
    "init_module", "finit_module", "delete_module", "create_module", "query_module",
    "get_kernel_syms", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
    "acct", "quotactl", "quotactl_fd", "nfsservctl", "_sysctl", "sysfs", "ustat", "uselib",
    "vhangup", "iopl", "ioperm",
    // time is not namespaced
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
    // handle-based opens bypass the mount namespace ("Shocker")
    "open_by_handle_at", "name_to_handle_at",
};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
                                        0x00000080 /* CLONE_NEWTIME */};

struct CtxDeleter {
  void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};

}  // namespace

std::vector<std::string> SeccompFilter::DeniedSyscalls() {
  std::vector<std::string> out(std::begin(kDenied), std::end(kDenied));
  out.push_back("clone (with CLONE_NEW* flags)");
  out.push_back("clone3 (ENOSYS)");
  out.push_back("ioctl TIOCSTI / TIOCLINUX");
  return out;
}

Result<SeccompFilter> SeccompFilter::Build() {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Internal("seccomp_init failed");
  // Foreign ABIs (i386 int 0x80, x32) end the process.
  if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) {
    return Internal("seccomp: cannot set the bad-architecture action");
  }
  auto deny = [&](int nr, uint32_t err, unsigned n, const scmp_arg_cmp* args) -> Status {
    int rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ERRNO(err), nr, n, args);
    if (rc != 0) return Internal("seccomp rule: " + std::string(strerror(-rc)));
    return Status::Ok();
  };
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR || nr < 0) continue;  // not on this architecture
    KINDLING_RETURN_IF_ERROR(deny(nr, EPERM, 0, nullptr));
  }
  for (uint64_t flag : kNamespaceFlags) {
    scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);
    KINDLING_RETURN_IF_ERROR(deny(SCMP_SYS(clone), EPERM, 1, &cmp));
  }
  KINDLING_RETURN_IF_ERROR(deny(SCMP_SYS(clone3), ENOSYS, 0, nullptr));
  for (uint64_t req : {static_cast<uint64_t>(TIOCSTI), static_cast<uint64_t>(TIOCLINUX)}) {
    scmp_arg_cmp cmp = SCMP_A1(SCMP_CMP_EQ, req);
    KINDLING_RETURN_IF_ERROR(deny(SCMP_SYS(ioctl), EPERM, 1, &cmp));
  }
  // Export the compiled program through a memfd and keep it: children install it with one
  // prctl, without libseccomp work between fork and exec.
  int fd = memfd_create("kindling-seccomp", MFD_CLOEXEC);
  if (fd < 0) return Internal("memfd_create: " + std::string(strerror(errno)));
  int rc = seccomp_export_bpf(ctx.get(), fd);
  if (rc != 0) {
    close(fd);
    return Internal("seccomp_export_bpf: " + std::string(strerror(-rc)));
  }
  off_t size = lseek(fd, 0, SEEK_END);
  SeccompFilter f;
  f.program_.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  ssize_t n = pread(fd, f.program_.data(), static_cast<size_t>(size), 0);
  close(fd);
  if (n != size || f.program_.empty()) return Internal("seccomp: short read of the program");
  return f;
}

int SeccompFilter::Install() const {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  sock_fprog prog{static_cast<unsigned short>(program_.size()),
                  const_cast<sock_filter*>(program_.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
  return 0;
}

}  // namespace kindling::sandbox
