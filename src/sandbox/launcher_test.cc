// Tests the launcher against the real kernel: namespaces, cgroups, pidfds. Needs root and
// cgroups (as `make test` has on the CI machine).
#include "sandbox/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <dirent.h>
#include <future>

#include "util/ids.h"

namespace kindling::sandbox {
namespace {

struct Env {
  UniqueFd log_r, status_r;
  Result<Spawned> spawned = Unavailable("not yet");
};

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = "test-" + RandomHex(4);
    auto cg = CgroupManager::Discover(key_);
    ASSERT_TRUE(cg.ok()) << cg.status().ToString();
    auto client = LauncherClient::Start(std::move(cg).value());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }
  void TearDown() override {
    client_.reset();
    // The launcher removed every environment's cgroup; the per-server roots go too.
    auto cg = CgroupManager::Discover(key_);
    ASSERT_TRUE(cg.ok());
    EXPECT_EQ(cg->RemoveRoots(), 0) << "a cgroup was left behind";
  }

  Env Spawn(std::vector<std::string> argv, int64_t memory = 64 << 20,
            std::vector<std::string> env = {}) {
    Env e;
    int logp[2], stp[2];
    EXPECT_EQ(pipe2(logp, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(stp, O_CLOEXEC), 0);
    e.log_r.Reset(logp[0]);
    e.status_r.Reset(stp[0]);
    SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.env = std::move(env);
    spec.cwd = "/";
    spec.cgroup = "env-" + RandomHex(6);
    spec.limits.memory_bytes = memory;
    spec.limits.pids_max = 64;
    std::promise<Result<Spawned>> p;
    client_->Spawn(spec, UniqueFd(logp[1]), UniqueFd(stp[1]),
                   [&p](Result<Spawned> r) { p.set_value(std::move(r)); });
    e.spawned = p.get_future().get();
    return e;
  }

  static std::string ReadAll(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

  // Wait status written by init, or -1 when init died without writing one (killed).
  static int WaitStatus(int fd) {
    int st = -1;
    ssize_t n = read(fd, &st, sizeof(st));
    return n == sizeof(st) ? st : -1;
  }

  static int CountFds() {
    int n = 0;
    DIR* d = opendir("/proc/self/fd");
    while (readdir(d)) ++n;
    closedir(d);
    return n;
  }

  std::string key_;
  std::unique_ptr<LauncherClient> client_;
};

TEST_F(LauncherTest, RunsAProgramAndReportsItsOutputAndExitStatus) {
  auto e = Spawn({"/bin/sh", "-c", "echo hello from $NAME; echo err >&2; exit 3"}, 64 << 20,
                 {"NAME=kindling"});
  ASSERT_TRUE(e.spawned.ok()) << e.spawned.status().ToString();
  EXPECT_GT(e.spawned->pid, 0);
  EXPECT_EQ(ReadAll(e.log_r.get()), "hello from kindling\nerr\n");
  int st = WaitStatus(e.status_r.get());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 3);
}

TEST_F(LauncherTest, RuntimeIsPidOneChildInItsOwnPidNamespace) {
  auto e = Spawn({"/bin/sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"});
  ASSERT_TRUE(e.spawned.ok());
  std::string out = ReadAll(e.log_r.get());
  // The shell is pid 2 (init is 1); ls sees init, sh and itself (plus grep).
  EXPECT_EQ(out.substr(0, 2), "2\n") << out;
}

TEST_F(LauncherTest, OnlyStandardDescriptorsReachTheRuntime) {
  auto e = Spawn({"/bin/sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '"});
  ASSERT_TRUE(e.spawned.ok());
  // 0, 1, 2 and the descriptor ls opens for the directory listing.
  EXPECT_EQ(ReadAll(e.log_r.get()), "0 1 2 3 ");
}

TEST_F(LauncherTest, ExecFailureIsReportedAsAnError) {
  auto e = Spawn({"/nonexistent/bootstrap"});
  ASSERT_FALSE(e.spawned.ok());
  EXPECT_NE(e.spawned.status().message().find("No such file"), std::string::npos)
      << e.spawned.status().message();
}

TEST_F(LauncherTest, MemoryLimitKillsTheRuntimeOnly) {
  // Python allocates 200 MB against a 32 MB limit.
  auto e = Spawn({"/usr/bin/python3", "-c", "x = bytearray(200 << 20); print('survived')"},
                 32 << 20);
  ASSERT_TRUE(e.spawned.ok());
  EXPECT_EQ(ReadAll(e.log_r.get()).find("survived"), std::string::npos);
  int st = WaitStatus(e.status_r.get());
  ASSERT_TRUE(WIFSIGNALED(st)) << st;
  EXPECT_EQ(WTERMSIG(st), SIGKILL);
}

TEST_F(LauncherTest, KillingInitThroughThePidfdEndsTheWholeTree) {
  // A runtime that leaves a daemonized grandchild behind, then sleeps.
  auto e = Spawn({"/bin/sh", "-c", "setsid sleep 1000 & sleep 1000"});
  ASSERT_TRUE(e.spawned.ok());
  usleep(50000);
  ASSERT_EQ(syscall(SYS_pidfd_send_signal, e.spawned->pidfd.get(), SIGKILL, nullptr, 0), 0);
  // No status: init died, so the status pipe reports EOF; the log pipe closes once every
  // process in the namespace is gone (the daemon held it too).
  EXPECT_EQ(WaitStatus(e.status_r.get()), -1);
  EXPECT_EQ(ReadAll(e.log_r.get()), "");
}

TEST_F(LauncherTest, ManySpawnsLeakNoDescriptors) {
  int before = CountFds();
  for (int i = 0; i < 50; ++i) {
    auto e = Spawn({"/bin/true"});
    ASSERT_TRUE(e.spawned.ok());
    WaitStatus(e.status_r.get());
  }
  EXPECT_EQ(CountFds(), before);
}

}  // namespace
}  // namespace kindling::sandbox
