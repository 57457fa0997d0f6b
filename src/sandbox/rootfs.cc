#include "sandbox/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace kindling::sandbox {
namespace {

bool IsSymlink(const std::string& path, std::string* target) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  *target = std::string(buf, static_cast<size_t>(n));
  return true;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// mkdir -p of `path` (absolute) below nothing: every component.
int MakeDirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string part = path.substr(0, i);
      if (mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return errno;
    }
  }
  return 0;
}

int Touch(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

int WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text.data(), text.size());
  int err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
}

// A read-only bind: the first mount ignores MS_RDONLY, so remount (gotcha G1).
int BindReadOnly(const std::string& source, const std::string& target, bool dev) {
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return errno;
  }
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (dev ? 0 : MS_NODEV);
  if (mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) return errno;
  return 0;
}

#define STEP(name, expr)     \
  do {                       \
    int _e = (expr);         \
    if (_e != 0) {           \
      *step = name;          \
      return _e;             \
    }                        \
  } while (0)

}  // namespace

RootfsPlan RootfsPlan::ForHost(std::string mountpoint, bool expose_usr_local) {
  RootfsPlan p;
  p.mountpoint = std::move(mountpoint);
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::string target;
    if (IsSymlink(top, &target)) {
      p.symlinks.emplace_back(top, target);
    } else if (Exists(top)) {
      p.dirs.emplace_back(top);
    }
  }
  p.dirs.emplace_back("/usr");
  for (const char* d : {"/etc/alternatives", "/etc/ssl/certs"}) {
    if (Exists(d)) p.dirs.emplace_back(d);
  }
  for (const char* f : {"/etc/ld.so.cache", "/etc/mime.types", "/etc/localtime"}) {
    if (Exists(f)) p.files.emplace_back(f);
  }
  if (!expose_usr_local && Exists("/usr/local")) p.hidden.emplace_back("/usr/local");
  return p;
}

int BuildRoot(const RootfsPlan& plan, const SpawnSpec& spec, uid_t uid, gid_t gid,
              const char** step) {
  const std::string& root = plan.mountpoint;
  STEP("making mounts private", mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0
                                    ? 0
                                    : errno);
  STEP("mounting the root tmpfs",
       mount("tmpfs", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
             "size=4m,nr_inodes=4096,mode=755") == 0
           ? 0
           : errno);
  for (const char* d : {"/etc", "/dev", "/proc", "/tmp", "/var", "/opt", "/var/task",
                        "/var/runtime"}) {
    STEP("creating root directories", MakeDirs(root + d, 0755));
  }
  for (const auto& [link, target] : plan.symlinks) {
    STEP("creating root symlinks", symlink(target.c_str(), (root + link).c_str()) == 0 ? 0 : errno);
  }
  for (const auto& d : plan.dirs) {
    STEP("creating bind targets", MakeDirs(root + d, 0755));
    STEP("binding host directories read-only", BindReadOnly(d, root + d, false));
  }
  for (const auto& f : plan.files) {
    STEP("creating bind targets", Touch(root + f));
    STEP("binding host files read-only", BindReadOnly(f, root + f, false));
  }
  for (const auto& h : plan.hidden) {
    STEP("hiding host directories", mount("tmpfs", (root + h).c_str(), "tmpfs",
                                          MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755") == 0
                                        ? 0
                                        : errno);
  }
  // /etc: generated files naming the environment's user.
  std::string u = std::to_string(uid), g = std::to_string(gid);
  STEP("writing /etc", WriteFile(root + "/etc/passwd",
                                 "root:x:0:0:root:/root:/sbin/nologin\n"
                                 "sbx_user:x:" + u + ":" + g + ":sandbox:/tmp:/sbin/nologin\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
                                 0444));
  STEP("writing /etc", WriteFile(root + "/etc/group",
                                 "root:x:0:\nsbx_user:x:" + g + ":\nnogroup:x:65534:\n", 0444));
  STEP("writing /etc", WriteFile(root + "/etc/hosts",
                                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
                                 "127.0.0.1\t" + spec.hostname + "\n",
                                 0444));
  STEP("writing /etc", WriteFile(root + "/etc/nsswitch.conf",
                                 "passwd: files\ngroup: files\nhosts: files dns\n", 0444));
  STEP("writing /etc", WriteFile(root + "/etc/resolv.conf", "", 0444));
  STEP("writing /etc", WriteFile(root + "/etc/hostname", spec.hostname + "\n", 0444));
  // /dev: a few device nodes bound from the host, and the fd symlinks.
  STEP("mounting /dev", mount("tmpfs", (root + "/dev").c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC,
                              "size=64k,nr_inodes=64,mode=755") == 0
                            ? 0
                            : errno);
  for (const char* dev : {"null", "zero", "full", "random", "urandom"}) {
    std::string target = root + "/dev/" + dev;
    STEP("creating /dev nodes", Touch(target));
    STEP("binding /dev nodes", BindReadOnly(std::string("/dev/") + dev, target, true));
  }
  for (auto [name, to] : {std::pair{"fd", "/proc/self/fd"}, std::pair{"stdin", "/proc/self/fd/0"},
                          std::pair{"stdout", "/proc/self/fd/1"},
                          std::pair{"stderr", "/proc/self/fd/2"}}) {
    STEP("creating /dev symlinks",
         symlink(to, (root + "/dev/" + name).c_str()) == 0 ? 0 : errno);
  }
  STEP("mounting /proc", mount("proc", (root + "/proc").c_str(), "proc",
                               MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0
                             ? 0
                             : errno);
  char tmp_opts[96];
  std::snprintf(tmp_opts, sizeof(tmp_opts), "size=%lld,nr_inodes=%lld,mode=1777",
                static_cast<long long>(spec.tmp_bytes),
                static_cast<long long>(std::max<int64_t>(1024, spec.tmp_bytes / 8192)));
  STEP("mounting /tmp", mount("tmpfs", (root + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                              tmp_opts) == 0
                            ? 0
                            : errno);
  for (const auto& b : spec.binds) {
    STEP("creating bind targets", MakeDirs(root + b.target, 0755));
    STEP("binding the function's files read-only", BindReadOnly(b.source, root + b.target, false));
  }
  // Into the new root; the old one is detached and gone.
  STEP("entering the root", chdir(root.c_str()) == 0 ? 0 : errno);
  STEP("pivot_root", syscall(SYS_pivot_root, ".", ".") == 0 ? 0 : errno);
  STEP("detaching the host root", umount2(".", MNT_DETACH) == 0 ? 0 : errno);
  STEP("entering the root", chdir("/") == 0 ? 0 : errno);
  STEP("making the root read-only",
       mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0
           ? 0
           : errno);
  return 0;
}

}  // namespace kindling::sandbox
