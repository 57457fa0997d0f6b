// The launcher: a single-threaded process, forked from the server at start-up before any
// thread exists, that does every clone() of kindling. The multi-threaded server never forks for
// set-up; it sends a SpawnSpec over a socket and gets back the environment's pid and pidfd.
//
// Each environment gets the isolation layers its SpawnSpec asks for (sandbox/isolation.h):
//  - the launcher creates a network namespace with only loopback and the Runtime API listener
//    (127.0.0.1:9001), and clones init into it with new pid, mount, ipc and uts namespaces;
//  - init (pid 1, a copy of the launcher) joins the environment's cgroup, enters a new cgroup
//    namespace, sets the hostname, builds the root filesystem (sandbox/rootfs.h) and pivots into
//    it, forks the runtime, drops to the environment's uid itself, and reaps orphans;
//  - the runtime sets its rlimits, drops to a reserved uid/gid with no capabilities, sets
//    PDEATHSIG (after the uid switch), NO_NEW_PRIVS and the seccomp filter, keeps only fds 0-2
//    (stdout+stderr on the log pipe, stdin /dev/null) and execs;
//  - when the runtime exits, init writes its wait status to the status pipe and exits; the
//    kernel then kills whatever remains in the pid namespace. Killing init (through the pidfd)
//    destroys the whole tree.
//
// Lifetime: the launcher dies with the server (PR_SET_PDEATHSIG) and environments die with the
// launcher, so a server killed with SIGKILL leaves no running environment behind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "sandbox/cgroups.h"
#include "sandbox/rootfs.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/spawn_spec.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace kindling::sandbox {

struct Spawned {
  pid_t pid = -1;        // host pid of the environment's init
  UniqueFd pidfd;        // for pidfd_send_signal
  UniqueFd runtime_api;  // the listening socket the environment's runtime connects to
};

// How the launcher builds environments; fixed for the server's lifetime.
struct LauncherConfig {
  RootfsPlan rootfs;
  uint32_t uid_base = 1000000;  // environments run as uid/gid base + (n mod count)
  uint32_t uid_count = 65536;
};

// Server side of the launcher. Thread-safe.
class LauncherClient {
 public:
  using SpawnCallback = std::function<void(Result<Spawned>)>;

  // Sweeps leftovers of a previous run from `cgroups`, then forks the launcher process.
  // REQUIRES: the calling process has exactly one thread.
  static Result<std::unique_ptr<LauncherClient>> Start(CgroupManager cgroups,
                                                       LauncherConfig config);
  ~LauncherClient();

  // Asks for an environment. `log_w` becomes the runtime's stdout and stderr; `status_w`
  // receives its 4-byte wait status when it exits. `done` runs on the launcher reply thread;
  // errors there are retryable (kUnavailable) and leave nothing behind.
  void Spawn(const SpawnSpec& spec, UniqueFd log_w, UniqueFd status_w, SpawnCallback done);

  // Called once, on the reply thread, if the launcher process dies (then no environment can be
  // created, and every running one died with it). Set before the first Spawn.
  void SetOnDeath(std::function<void()> on_death) { on_death_ = std::move(on_death); }

  const CgroupManager& cgroups() const { return cgroups_; }
  pid_t launcher_pid() const { return launcher_pid_; }

 private:
  LauncherClient(CgroupManager cgroups, UniqueFd sock, pid_t pid);
  void ReplyLoop();

  CgroupManager cgroups_;
  UniqueFd sock_;
  pid_t launcher_pid_;
  std::mutex mu_;
  std::map<uint64_t, SpawnCallback> pending_;  // guarded by mu_
  uint64_t next_id_ = 1;                        // guarded by mu_
  bool dead_ = false;                           // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_: our own shutdown
  std::function<void()> on_death_;
  std::thread reply_thread_;
};

// Entry point of the launcher process. Never returns.
[[noreturn]] void RunLauncher(int sock, const CgroupManager& cgroups, const LauncherConfig& config,
                              pid_t server_pid);

}  // namespace kindling::sandbox
