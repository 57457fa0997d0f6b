#include "sandbox/isolation.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sandbox/seccomp_filter.h"
#include "util/strings.h"

namespace kindling::sandbox {

std::string LayerName(Layer layer) {
  switch (layer) {
    case kPidNamespace: return "pid-ns";
    case kMountNamespace: return "mount-ns";
    case kNetworkNamespace: return "net-ns";
    case kIpcNamespace: return "ipc-ns";
    case kUtsNamespace: return "uts-ns";
    case kCgroupNamespace: return "cgroup-ns";
    case kUnprivilegedUser: return "uid";
    case kSeccomp: return "seccomp";
    case kCgroupLimits: return "cgroups";
  }
  return "?";
}

std::vector<Layer> AllLayers() {
  return {kPidNamespace, kMountNamespace, kNetworkNamespace, kIpcNamespace, kUtsNamespace,
          kCgroupNamespace, kUnprivilegedUser, kSeccomp, kCgroupLimits};
}

Result<uint32_t> ParseLayers(const std::string& list) {
  uint32_t bits = 0;
  for (auto word : Split(list, ',')) {
    word = Trim(word);
    if (word.empty()) continue;
    bool found = false;
    for (Layer l : AllLayers()) {
      if (LayerName(l) == word) {
        bits |= l;
        found = true;
      }
    }
    if (!found) {
      std::string names;
      for (Layer l : AllLayers()) names += (names.empty() ? "" : ", ") + LayerName(l);
      return InvalidParameter("unknown isolation layer '" + std::string(word) +
                              "' (layers: " + names + ")");
    }
  }
  return bits;
}

std::string DescribeLayers(uint32_t layers) {
  std::string out;
  for (Layer l : AllLayers()) {
    if (layers & l) out += (out.empty() ? "" : ", ") + LayerName(l);
  }
  return out.empty() ? "none" : out;
}

namespace {

// Runs `test` in a child; returns 0 or the errno it reports.
template <typename F>
int InChild(F test) {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(test());
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return EFAULT;
}

}  // namespace

ProbeResult ProbeIsolation(const std::string& root_mountpoint) {
  ProbeResult r;
  auto check = [&](Layer layer, int err, const std::string& what) {
    if (err == 0) {
      r.available |= layer;
    } else {
      r.problems.push_back(LayerName(layer) + ": " + what + ": " + strerror(err));
    }
  };
  struct {
    Layer layer;
    int flag;
  } namespaces[] = {{kPidNamespace, CLONE_NEWPID}, {kNetworkNamespace, CLONE_NEWNET},
                    {kIpcNamespace, CLONE_NEWIPC}, {kUtsNamespace, CLONE_NEWUTS},
                    {kCgroupNamespace, CLONE_NEWCGROUP}};
  for (const auto& ns : namespaces) {
    int flag = ns.flag;
    check(ns.layer, InChild([flag] { return unshare(flag) == 0 ? 0 : errno; }), "unshare");
  }
  std::string mp = root_mountpoint;
  check(kMountNamespace, InChild([mp] {
          if (unshare(CLONE_NEWNS) != 0) return errno;
          if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
          if (mount("tmpfs", mp.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0) {
            return errno;
          }
          return 0;
        }),
        "private tmpfs root");
  check(kUnprivilegedUser, geteuid() == 0 ? 0 : EPERM, "switching to a reserved uid needs root");
  auto filter = SeccompFilter::Build();
  check(kSeccomp, !filter.ok() ? ENOSYS : InChild([&filter] { return filter->Install(); }),
        "installing the seccomp filter");
  // kCgroupLimits is decided by CgroupManager::Discover (the caller adds it).
  return r;
}

}  // namespace kindling::sandbox
