// 10,000 environments created and destroyed through the real launcher, one in ten failing on
// purpose (a mount error): afterwards the server's and the launcher's descriptors, the host's
// mounts, the cgroups and the processes are exactly as before.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "sandbox/isolation.h"
#include "sandbox/launcher.h"
#include "util/ids.h"

namespace kindling::sandbox {
namespace {

namespace fs = std::filesystem;

int CountEntries(const std::string& dir, bool only_dirs = false) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (only_dirs && e->d_type != DT_DIR) continue;
    ++n;
  }
  closedir(d);
  return n;
}

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

// Processes whose parent is `pid`.
int CountChildren(pid_t pid) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state;
    if (sscanf(s.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == pid) ++n;
  }
  return n;
}

struct Counts {
  int server_fds, launcher_fds, host_mounts, cgroups, launcher_children;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "{server fds " << c.server_fds << ", launcher fds " << c.launcher_fds
            << ", host mounts " << c.host_mounts << ", cgroups " << c.cgroups
            << ", launcher children " << c.launcher_children << "}";
}

TEST(LauncherCycles, TenThousandCreateDestroyCyclesLeakNothing) {
  std::string key = "cycles-" + RandomHex(4);
  fs::path root = fs::temp_directory_path() / ("kindling-root-" + key);
  fs::create_directories(root);
  auto cg = CgroupManager::Discover(key);
  ASSERT_TRUE(cg.ok()) << cg.status().ToString();
  std::string memory_root = cg->MemoryFile("", "");
  LauncherConfig config;
  config.rootfs = RootfsPlan::ForHost(root.string(), false);
  auto client = LauncherClient::Start(std::move(cg).value(), std::move(config));
  ASSERT_TRUE(client.ok());
  pid_t launcher = (*client)->launcher_pid();

  auto counts = [&] {
    return Counts{CountEntries("/proc/self/fd"),
                  CountEntries("/proc/" + std::to_string(launcher) + "/fd"),
                  CountLines("/proc/self/mountinfo"), CountEntries(memory_root, true),
                  CountChildren(launcher)};
  };
  auto settle = [&](const Counts& want) {
    // Cgroups are removed a second after their environment ends; wait for that.
    Counts now = counts();
    for (int i = 0; i < 100 && !(now == want); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      now = counts();
    }
    return now;
  };

  constexpr int kCycles = 10000;
  int failures = 0;
  Counts before{};
  auto start = std::chrono::steady_clock::now();
  // Cycle 0 is a warm-up: the launcher opens its long-lived descriptors (the host network
  // namespace, its signalfd) as it starts, so the baseline is taken after it.
  for (int i = -1; i < kCycles; ++i) {
    if (i == 0) {
      // After the warm-up's cgroup is gone (its removal is delayed by a second).
      before = counts();
      for (int k = 0; k < 100 && (before.cgroups != 0 || before.launcher_children != 0); ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        before = counts();
      }
      ASSERT_EQ(before.cgroups, 0);
      start = std::chrono::steady_clock::now();
    }
    int logp[2], stp[2];
    ASSERT_EQ(pipe2(logp, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(stp, O_CLOEXEC), 0);
    UniqueFd log_r(logp[0]), status_r(stp[0]);
    SpawnSpec spec;
    spec.argv = {"/bin/true"};
    spec.cwd = "/";
    spec.cgroup = "env-" + RandomHex(8);
    spec.limits.memory_bytes = 32 << 20;
    spec.limits.pids_max = 16;
    spec.tmp_bytes = 1 << 20;
    bool fail = i >= 0 && i % 10 == 9;
    if (fail) spec.binds = {{"/nonexistent/kindling", "/var/task"}};
    std::promise<Result<Spawned>> p;
    (*client)->Spawn(spec, UniqueFd(logp[1]), UniqueFd(stp[1]),
                     [&p](Result<Spawned> r) { p.set_value(std::move(r)); });
    Result<Spawned> r = p.get_future().get();
    if (fail) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
      ++failures;
      continue;
    }
    ASSERT_TRUE(r.ok()) << "cycle " << i << ": " << r.status().ToString();
    int st = -1;
    ASSERT_EQ(read(status_r.get(), &st, sizeof(st)), static_cast<ssize_t>(sizeof(st)));
    ASSERT_EQ(st, 0);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Counts after = settle(before);
  EXPECT_EQ(after, before);
  EXPECT_EQ(failures, kCycles / 10);
  std::printf("%d create/destroy cycles (%d failing on purpose) in %.1f s: %.0f per second\n",
              kCycles, failures, secs, kCycles / secs);
  client->reset();
  auto cleanup = CgroupManager::Discover(key);
  ASSERT_TRUE(cleanup.ok());
  EXPECT_EQ(cleanup->RemoveRoots(), 0);
  fs::remove(root);
}

TEST(LauncherCycles, DescriptorExhaustionInTheLauncherIsAnErrorAndLeaksNothing) {
  std::string key = "emfile-" + RandomHex(4);
  fs::path root = fs::temp_directory_path() / ("kindling-root-" + key);
  fs::create_directories(root);
  auto cg = CgroupManager::Discover(key);
  ASSERT_TRUE(cg.ok());
  std::string memory_root = cg->MemoryFile("", "");
  LauncherConfig config;
  config.rootfs = RootfsPlan::ForHost(root.string(), false);
  auto client = LauncherClient::Start(std::move(cg).value(), std::move(config));
  ASSERT_TRUE(client.ok());
  pid_t launcher = (*client)->launcher_pid();
  auto spawn = [&]() {
    int logp[2], stp[2];
    EXPECT_EQ(pipe2(logp, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(stp, O_CLOEXEC), 0);
    UniqueFd log_r(logp[0]), status_r(stp[0]);
    SpawnSpec spec;
    spec.argv = {"/bin/true"};
    spec.cwd = "/";
    spec.cgroup = "env-" + RandomHex(8);
    spec.tmp_bytes = 1 << 20;
    std::promise<Result<Spawned>> p;
    (*client)->Spawn(spec, UniqueFd(logp[1]), UniqueFd(stp[1]),
                     [&p](Result<Spawned> r) { p.set_value(std::move(r)); });
    Result<Spawned> r = p.get_future().get();
    if (r.ok()) {
      int st;
      EXPECT_EQ(read(status_r.get(), &st, sizeof(st)), static_cast<ssize_t>(sizeof(st)));
    }
    return r;
  };
  ASSERT_TRUE(spawn().ok());  // warm-up
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int launcher_fds = CountEntries("/proc/" + std::to_string(launcher) + "/fd");
  // Leave the launcher no room for the pipes and sockets a creation needs.
  // Only the soft limit: raising a hard limit again would need CAP_SYS_RESOURCE.
  rlimit old{};
  ASSERT_EQ(prlimit(launcher, RLIMIT_NOFILE, nullptr, &old), 0);
  rlimit tight{static_cast<rlim_t>(launcher_fds), old.rlim_max};
  ASSERT_EQ(prlimit(launcher, RLIMIT_NOFILE, &tight, nullptr), 0);
  for (int i = 0; i < 50; ++i) {
    auto r = spawn();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
    EXPECT_NE(r.status().message().find("Too many open files"), std::string::npos)
        << r.status().message();
  }
  ASSERT_EQ(prlimit(launcher, RLIMIT_NOFILE, &old, nullptr), 0);
  EXPECT_TRUE(spawn().ok());  // and it recovers
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(CountEntries("/proc/" + std::to_string(launcher) + "/fd"), launcher_fds);
  EXPECT_EQ(CountEntries(memory_root, true), 0);
  EXPECT_EQ(CountChildren(launcher), 0);
  client->reset();
  auto cleanup = CgroupManager::Discover(key);
  ASSERT_TRUE(cleanup.ok());
  EXPECT_EQ(cleanup->RemoveRoots(), 0);
  fs::remove(root);
}

}  // namespace
}  // namespace kindling::sandbox
