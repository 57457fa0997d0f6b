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
#include <filesystem>
#include <fstream>
#include <future>

#include "sandbox/isolation.h"
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
    root_ = std::filesystem::temp_directory_path() / ("kindling-root-" + key_);
    std::filesystem::create_directories(root_);
    auto cg = CgroupManager::Discover(key_);
    ASSERT_TRUE(cg.ok()) << cg.status().ToString();
    LauncherConfig config;
    config.rootfs = RootfsPlan::ForHost(root_.string(), /*expose_usr_local=*/false);
    auto client = LauncherClient::Start(std::move(cg).value(), std::move(config));
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }
  void TearDown() override {
    client_.reset();
    // The launcher removed every environment's cgroup; the per-server roots go too.
    auto cg = CgroupManager::Discover(key_);
    ASSERT_TRUE(cg.ok());
    EXPECT_EQ(cg->RemoveRoots(), 0) << "a cgroup was left behind";
    std::filesystem::remove(root_);
  }

  Env Spawn(std::vector<std::string> argv, int64_t memory = 64 << 20,
            std::vector<std::string> env = {}, uint32_t layers = kAllLayers,
            std::vector<BindMount> binds = {}) {
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
    spec.layers = layers;
    spec.binds = std::move(binds);
    spec.tmp_bytes = 8 << 20;
    spec.hostname = "sandbox-test";
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

  // Output of `script` run by /bin/sh in a fully isolated environment.
  std::string Sh(const std::string& script, std::vector<BindMount> binds = {}) {
    auto e = Spawn({"/bin/sh", "-c", script}, 64 << 20, {}, kAllLayers, std::move(binds));
    EXPECT_TRUE(e.spawned.ok()) << e.spawned.status().ToString();
    return e.spawned.ok() ? ReadAll(e.log_r.get()) : "";
  }

  std::string key_;
  std::filesystem::path root_;
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
  // The shell is pid 2 (init is 1); /proc shows init, sh, ls and grep, nothing of the host.
  EXPECT_EQ(Sh("echo $$; ls /proc | grep -c '^[0-9]'"), "2\n4\n");
}

TEST_F(LauncherTest, InitShowsNothingOfTheServer) {
  std::string out = Sh("tr -d '\\0' < /proc/1/cmdline; echo; cat /proc/1/environ 2>&1 | wc -c");
  EXPECT_EQ(out.substr(0, out.find('\n')), "kindling-init") << out;
  EXPECT_EQ(out.find("serve"), std::string::npos) << out;
  EXPECT_EQ(out.find("PATH="), std::string::npos) << out;
}

TEST_F(LauncherTest, RuntimeRunsUnprivilegedUnderSeccomp) {
  std::string out = Sh("grep -E '^(Uid|Gid|CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):' "
                       "/proc/self/status | tr -s '\t' ' '");
  EXPECT_NE(out.find("Uid: 10000"), std::string::npos) << out;  // the reserved range
  EXPECT_EQ(out.find("Uid: 0"), std::string::npos) << out;
  EXPECT_NE(out.find("CapEff: 0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("CapBnd: 0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("NoNewPrivs: 1"), std::string::npos) << out;
  EXPECT_NE(out.find("Seccomp: 2"), std::string::npos) << out;
}

TEST_F(LauncherTest, FilesystemShowsOnlyTheSandboxRoot) {
  std::string out = Sh("ls / | tr '\n' ' '; echo; ls /etc | tr '\n' ' '; echo;"
                       "test -e /etc/shadow && echo SHADOW; test -e /sys/kernel && echo SYS;"
                       "test -e /home && echo HOME; test -e /work && echo WORK;"
                       "touch /x 2>&1 | grep -c 'Read-only'; touch /usr/x 2>&1 | grep -c Read-only;"
                       "echo hi > /tmp/f && cat /tmp/f; ls /dev | tr '\n' ' '");
  for (const char* dir : {"bin ", "dev ", "etc ", "lib ", "opt ", "proc ", "tmp ", "usr ", "var "}) {
    EXPECT_NE(out.find(dir), std::string::npos) << dir << " missing: " << out;
  }
  for (const char* dir : {"home", "root", "sys", "work", "mnt", "boot", "srv"}) {
    EXPECT_EQ(out.find(std::string(dir) + " "), std::string::npos) << dir << " visible: " << out;
  }
  EXPECT_EQ(out.find("shadow"), std::string::npos) << out;
  EXPECT_EQ(out.find("SHADOW"), std::string::npos) << out;
  EXPECT_EQ(out.find("SYS"), std::string::npos) << out;
  EXPECT_EQ(out.find("HOME"), std::string::npos) << out;
  EXPECT_EQ(out.find("WORK"), std::string::npos) << out;
  EXPECT_NE(out.find("1\n1\nhi\n"), std::string::npos) << out;
  EXPECT_NE(out.find("fd full null random stderr stdin stdout urandom zero"), std::string::npos)
      << out;
}

TEST_F(LauncherTest, BindsAreReadOnlyAtTheirTarget) {
  auto dir = std::filesystem::temp_directory_path() / ("kindling-bind-" + RandomHex(4));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "hello.txt") << "from the host\n";
  std::string out = Sh("cat /var/task/hello.txt; echo x > /var/task/y 2>&1 || echo refused",
                       {{dir.string(), "/var/task"}});
  EXPECT_EQ(out.substr(0, 14), "from the host\n") << out;
  EXPECT_NE(out.find("refused"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "y"));
  std::filesystem::remove_all(dir);
}

TEST_F(LauncherTest, NetworkIsLoopbackOnlyWithTheRuntimeApiListening) {
  std::string out = Sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ';"
                       "grep -c ':2329 ' /proc/net/tcp; hostname");
  // Only lo; 0x2329 = 9001 listening; the environment's own hostname.
  EXPECT_EQ(out, "lo\n1\nsandbox-test\n");
}

TEST_F(LauncherTest, TmpIsCappedAtItsSize) {
  std::string out = Sh("dd if=/dev/zero of=/tmp/big bs=1M count=64 2>&1 | grep -c 'No space left';"
                       "du -m /tmp/big | cut -f1");
  EXPECT_EQ(out, "1\n8\n");
}

TEST_F(LauncherTest, SeccompDeniesNamespaceCreation) {
  // unshare(2) returns EPERM inside (the hostile-function suite probes each call directly).
  EXPECT_EQ(Sh("unshare -n true 2>&1 | grep -ci 'not permitted'"), "1\n");
}

TEST_F(LauncherTest, ReducedIsolationRunsWithoutTheSkippedLayers) {
  auto e = Spawn({"/bin/sh", "-c", "test -e /work && echo HOST_FS; id -u"}, 64 << 20, {},
                 kAllLayers & ~kMountNamespace & ~kUnprivilegedUser);
  ASSERT_TRUE(e.spawned.ok()) << e.spawned.status().ToString();
  EXPECT_EQ(ReadAll(e.log_r.get()), "HOST_FS\n0\n");
}

TEST_F(LauncherTest, AMountFailureIsAnErrorAndLeaksNothing) {
  int fds = CountFds();
  for (int i = 0; i < 20; ++i) {
    auto e = Spawn({"/bin/true"}, 64 << 20, {}, kAllLayers,
                   {{"/nonexistent/kindling/code", "/var/task"}});
    ASSERT_FALSE(e.spawned.ok());
    EXPECT_NE(e.spawned.status().message().find("binding the function's files read-only"),
              std::string::npos)
        << e.spawned.status().message();
    EXPECT_EQ(e.spawned.status().code(), ErrorCode::kUnavailable);
  }
  EXPECT_EQ(CountFds(), fds);
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
