#include "sandbox/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/strings.h"

namespace kindling::sandbox {
namespace {

bool WriteFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, value.data(), value.size());
  close(fd);
  return n == static_cast<ssize_t>(value.size());
}

std::string ReadSmall(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Mount point of the v1 hierarchy carrying `controller`, from /proc/self/mountinfo.
std::string V1MountPoint(const std::string& controller) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto fields = Split(std::string_view(line).substr(0, dash), ' ');
    auto tail = Split(std::string_view(line).substr(dash + 3), ' ');
    if (fields.size() < 5 || tail.size() < 3 || tail[0] != "cgroup") continue;
    for (auto opt : Split(tail[2], ','))
      if (opt == controller) return std::string(fields[4]);
  }
  return "";
}

// The process's own path in the hierarchy whose /proc/self/cgroup controller list contains
// `controller` (v1), or in the unified hierarchy when `controller` is empty (v2).
std::string OwnPath(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto parts = Split(line, ':');
    if (parts.size() < 3) continue;
    std::string path(line.substr(parts[0].size() + parts[1].size() + 2));
    if (controller.empty()) {
      if (parts[0] == "0" && parts[1].empty()) return path;
      continue;
    }
    for (auto c : Split(parts[1], ','))
      if (c == controller) return path;
  }
  return "";
}

void KillAllIn(const std::string& dir) {
  for (int round = 0; round < 50; ++round) {
    std::string procs = ReadSmall(dir + "/cgroup.procs");
    if (Trim(procs).empty()) return;
    for (auto p : Split(procs, '\n')) {
      if (auto pid = ParseInt(Trim(p)); pid && *pid > 0) kill(static_cast<pid_t>(*pid), SIGKILL);
    }
    usleep(10000);
  }
}

}  // namespace

Result<CgroupManager> CgroupManager::Discover(const std::string& key) {
  CgroupManager m;
  const std::string leaf = "kindling-" + key;
  std::string unified_controllers = ReadSmall("/sys/fs/cgroup/cgroup.controllers");
  if (unified_controllers.find("memory") != std::string::npos) {
    m.version_ = Version::kV2;
    std::string own = OwnPath("");
    std::string root = "/sys/fs/cgroup" + (own == "/" ? "" : own) + "/" + leaf;
    if (mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
      return Unavailable("cannot create cgroup " + root + ": " + strerror(errno));
    }
    if (!WriteFile(root + "/cgroup.subtree_control", "+memory +pids +cpu")) {
      return Unavailable("cannot enable memory, pids and cpu controllers in " + root +
                         " (cgroup v2 needs a delegated subtree): " + strerror(errno));
    }
    m.hierarchies_.push_back({"unified", root});
    return m;
  }
  for (const char* controller : {"memory", "pids", "cpu"}) {
    std::string mount = V1MountPoint(controller);
    std::string own = OwnPath(controller);
    if (mount.empty() || own.empty()) {
      return Unavailable(std::string("cgroup v1 controller '") + controller +
                         "' is not mounted on this host");
    }
    std::string root = mount + (own == "/" ? "" : own) + "/" + leaf;
    if (mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
      return Unavailable("cannot create cgroup " + root + ": " + strerror(errno));
    }
    m.hierarchies_.push_back({controller, root});
  }
  m.has_memsw_ = Exists(m.hierarchies_[0].root + "/memory.memsw.limit_in_bytes");
  return m;
}

std::string CgroupManager::Describe() const {
  if (version_ == Version::kV2) return "cgroup v2 at " + hierarchies_[0].root;
  std::string s = "cgroup v1 (";
  for (size_t i = 0; i < hierarchies_.size(); ++i) {
    s += (i ? ", " : "") + hierarchies_[i].controller;
  }
  return s + (has_memsw_ ? ", swap limited" : ", no swap accounting") + ") under " +
         hierarchies_[0].root;
}

Status CgroupManager::Create(const std::string& name, const CgroupLimits& limits) const {
  for (const auto& h : hierarchies_) {
    std::string dir = h.root + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0) {
      return Unavailable("cannot create cgroup " + dir + ": " + strerror(errno));
    }
    bool ok = true;
    if (version_ == Version::kV2) {
      ok = WriteFile(dir + "/memory.max", std::to_string(limits.memory_bytes)) &&
           WriteFile(dir + "/memory.swap.max", "0") &&
           WriteFile(dir + "/pids.max", std::to_string(limits.pids_max)) &&
           WriteFile(dir + "/cpu.weight",
                     std::to_string(std::clamp<int64_t>(limits.cpu_weight * 100 / 1024, 1, 10000)));
      (void)WriteFile(dir + "/memory.oom.group", "1");
    } else if (h.controller == "memory") {
      ok = WriteFile(dir + "/memory.limit_in_bytes", std::to_string(limits.memory_bytes));
      (void)WriteFile(dir + "/memory.swappiness", "0");
      if (ok && has_memsw_) {
        ok = WriteFile(dir + "/memory.memsw.limit_in_bytes", std::to_string(limits.memory_bytes));
      }
    } else if (h.controller == "pids") {
      ok = WriteFile(dir + "/pids.max", std::to_string(limits.pids_max));
    } else if (h.controller == "cpu") {
      ok = WriteFile(dir + "/cpu.shares", std::to_string(std::max<int64_t>(2, limits.cpu_weight))) &&
           WriteFile(dir + "/cpu.cfs_period_us", std::to_string(kCpuPeriodMicros));
    }
    if (!ok) {
      int err = errno;
      Remove(name);
      return Unavailable("cannot set limits on cgroup " + dir + ": " + strerror(err));
    }
  }
  return Status::Ok();
}

Status CgroupManager::SetCpuQuota(const std::string& name, int64_t quota_us) const {
  for (const auto& h : hierarchies_) {
    std::string dir = h.root + "/" + name;
    bool ok = true;
    if (version_ == Version::kV2) {
      ok = WriteFile(dir + "/cpu.max",
                     std::to_string(quota_us) + " " + std::to_string(kCpuPeriodMicros));
    } else if (h.controller == "cpu") {
      ok = WriteFile(dir + "/cpu.cfs_quota_us", std::to_string(quota_us));
      // Let a quiet environment bank one period of unused quota for bursts (kernel 5.14+).
      (void)WriteFile(dir + "/cpu.cfs_burst_us", std::to_string(quota_us));
    }
    if (!ok) return Unavailable("cannot set the CPU quota of " + dir + ": " + strerror(errno));
  }
  return Status::Ok();
}

int CgroupManager::AttachSelf(const std::string& name) const {
  for (const auto& h : hierarchies_) {
    std::string path = h.root + "/" + name + "/cgroup.procs";
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t n = write(fd, "0", 1);
    int err = errno;
    close(fd);
    if (n != 1) return err;
  }
  return 0;
}

void CgroupManager::KillAll(const std::string& name) const {
  if (!hierarchies_.empty()) KillAllIn(hierarchies_[0].root + "/" + name);
}

int CgroupManager::Remove(const std::string& name) const {
  int result = 0;
  for (const auto& h : hierarchies_) {
    std::string dir = h.root + "/" + name;
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT) result = errno;
  }
  return result;
}

int CgroupManager::Sweep() const {
  int removed = 0;
  for (const auto& h : hierarchies_) {
    DIR* d = opendir(h.root.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (e->d_type == DT_DIR && e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    closedir(d);
    for (const auto& n : names) {
      std::string dir = h.root + "/" + n;
      KillAllIn(dir);
      for (int i = 0; i < 100 && rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) usleep(10000);
      if (!Exists(dir)) ++removed;
    }
  }
  return removed;
}

int CgroupManager::RemoveRoots() const {
  int result = 0;
  for (const auto& h : hierarchies_) {
    if (rmdir(h.root.c_str()) != 0 && errno != ENOENT) result = errno;
  }
  return result;
}

std::string CgroupManager::MemoryFile(const std::string& name, const char* file) const {
  return ControllerFile("memory", name, file);
}

std::string CgroupManager::ControllerFile(const std::string& controller, const std::string& name,
                                          const char* file) const {
  for (const auto& h : hierarchies_) {
    if (h.controller == controller || h.controller == "unified") {
      return h.root + "/" + name + "/" + file;
    }
  }
  return "";
}

CgroupStats CgroupStats::Open(const CgroupManager& cgroups, const std::string& name) {
  CgroupStats s;
  bool v2 = cgroups.version() == CgroupManager::Version::kV2;
  s.peak_fd_.Reset(open(cgroups.MemoryFile(name, v2 ? "memory.peak" : "memory.max_usage_in_bytes")
                            .c_str(),
                        O_RDONLY | O_CLOEXEC));
  s.events_fd_.Reset(
      open(cgroups.MemoryFile(name, v2 ? "memory.events" : "memory.oom_control").c_str(),
           O_RDONLY | O_CLOEXEC));
  return s;
}

int64_t CgroupStats::PeakMemoryBytes() const {
  if (!peak_fd_) return 0;
  char buf[32];
  ssize_t n = pread(peak_fd_.get(), buf, sizeof(buf) - 1, 0);
  if (n <= 0) return 0;
  return ParseInt(Trim(std::string_view(buf, static_cast<size_t>(n)))).value_or(0);
}

int64_t CgroupStats::OomKills() const {
  if (!events_fd_) return 0;
  char buf[512];
  ssize_t n = pread(events_fd_.get(), buf, sizeof(buf) - 1, 0);
  if (n <= 0) return 0;
  std::string_view text(buf, static_cast<size_t>(n));
  auto pos = text.find("oom_kill ");
  if (pos == std::string_view::npos) return 0;
  auto rest = text.substr(pos + 9);
  return ParseInt(rest.substr(0, rest.find('\n'))).value_or(0);
}

}  // namespace kindling::sandbox
