#include "sandbox/launcher.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <deque>
#include <optional>

#include "sandbox/credentials.h"
#include "sandbox/isolation.h"
#include "sandbox/launcher_protocol.h"
#include "sandbox/network.h"
#include "util/clock.h"

namespace kindling::sandbox {

namespace json = boost::json;

namespace {

// What the environment reports on the sync pipe when set-up fails before exec.
struct SetupFailure {
  int err;
  char step[60];
};

pid_t Clone3(uint64_t flags, int* pidfd) {
  clone_args args{};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof(args)));
}

void WriteAll(int fd, const void* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p = static_cast<const char*>(p) + w;
    n -= static_cast<size_t>(w);
  }
}

void WriteProc(const char* path, const char* value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  WriteAll(fd, value, strlen(value));
  close(fd);
}

[[noreturn]] void Fail(int sync_fd, const char* step, int err) {
  SetupFailure f{};
  f.err = err;
  std::strncpy(f.step, step, sizeof(f.step) - 1);
  WriteAll(sync_fd, &f, sizeof(f));
  _exit(127);
}

void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    signal(s, SIG_DFL);
  }
}

// Init is a fork of the server without exec, so /proc/1/cmdline (and, to anyone who could read
// it, /proc/1/environ) inside the environment would show the server's command line and
// environment. Overwrite init's copy of both areas in place (addresses from /proc/self/stat,
// fields 48-51); the server's own memory is untouched (copy-on-write).
void HideLauncherArguments() {
  char buf[2048];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  // Fields after the command name, which may contain spaces: start after the last ')'.
  char* p = strrchr(buf, ')');
  if (!p) return;
  unsigned long v[52] = {};
  int field = 2;  // the ')' ends field 2
  for (char* tok = strtok(p + 1, " "); tok && field < 51; tok = strtok(nullptr, " ")) {
    ++field;
    v[field] = strtoul(tok, nullptr, 10);
  }
  unsigned long arg_start = v[48], arg_end = v[49], env_start = v[50], env_end = v[51];
  if (env_end > env_start) memset(reinterpret_cast<void*>(env_start), 0, env_end - env_start);
  if (arg_end > arg_start) {
    static const char kName[] = "kindling-init";
    size_t len = arg_end - arg_start;
    memset(reinterpret_cast<void*>(arg_start), 0, len);
    memcpy(reinterpret_cast<void*>(arg_start), kName, std::min(len - 1, sizeof(kName) - 1));
  }
}

// What an environment's processes need from the launcher (all set up before the clone).
struct EnvironmentContext {
  const CgroupManager& cgroups;
  const LauncherConfig& config;
  const SeccompFilter* seccomp;  // null when the layer is off
};

// The runtime process, forked by init: limits, identity, then exec. Never returns.
[[noreturn]] void ExecRuntime(const SpawnSpec& spec, const EnvironmentContext& ctx, uid_t uid,
                              gid_t gid, int log_fd, int sync_fd, char** argv, char** envp) {
  WriteProc("/proc/self/oom_score_adj", "0");
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
    Fail(sync_fd, "setting up stdio", errno);
  }
  if (spec.layers & kUnprivilegedUser) {
    // Above the size of /tmp, so that filling /tmp gives ENOSPC as on Lambda; a bound for any
    // other file.
    if (int e = ApplyResourceLimits(spec.tmp_bytes + (1 << 20))) Fail(sync_fd, "setting rlimits", e);
    if (int e = DropPrivileges(uid, gid)) Fail(sync_fd, "dropping privileges", e);
  }
  // After the uid switch, which clears it (G6).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (chdir(spec.cwd.c_str()) != 0) Fail(sync_fd, "entering the working directory", errno);
  // Every descriptor but 0-2 is closed by the exec (sync_fd stays usable until then).
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (ctx.seccomp) {
    if (int e = ctx.seccomp->Install()) Fail(sync_fd, "installing the seccomp filter", e);
  } else {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  }
  execve(argv[0], argv, envp);
  Fail(sync_fd, "executing the runtime", errno);
}

// Pid 1 of a new environment. `log_fd`, `status_fd` and `sync_fd` are the only descriptors it
// keeps.
[[noreturn]] void RunInit(const SpawnSpec& spec, const EnvironmentContext& ctx, uid_t uid,
                          gid_t gid, int log_fd, int status_fd, int sync_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  ResetSignals();
  // Move the three descriptors to 3, 4, 5 and close everything else the launcher had open
  // (its socket to the server, the Runtime API listener...).
  int tmp[3] = {fcntl(log_fd, F_DUPFD_CLOEXEC, 100), fcntl(status_fd, F_DUPFD_CLOEXEC, 100),
                fcntl(sync_fd, F_DUPFD_CLOEXEC, 100)};
  if (tmp[0] < 0 || tmp[1] < 0 || tmp[2] < 0) Fail(sync_fd, "moving descriptors", errno);
  for (int i = 0; i < 3; ++i) {
    if (dup3(tmp[i], 3 + i, O_CLOEXEC) < 0) Fail(tmp[2], "moving descriptors", errno);
  }
  log_fd = 3;
  status_fd = 4;
  sync_fd = 5;
  syscall(SYS_close_range, 6, ~0U, 0);
  prctl(PR_SET_NAME, "kindling-init");
  HideLauncherArguments();
  // Keep init out of the OOM killer's choice: the runtime is what exceeded the limit.
  WriteProc("/proc/self/oom_score_adj", "-1000");
  setsid();
  if (spec.layers & kCgroupLimits) {
    if (int err = ctx.cgroups.AttachSelf(spec.cgroup)) Fail(sync_fd, "joining the cgroup", err);
  }
  // After the attach, so the namespace's root is the environment's own cgroup (G3).
  if ((spec.layers & kCgroupNamespace) && unshare(CLONE_NEWCGROUP) != 0) {
    Fail(sync_fd, "creating the cgroup namespace", errno);
  }
  if ((spec.layers & kUtsNamespace) &&
      sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    Fail(sync_fd, "setting the hostname", errno);
  }
  if (spec.layers & kMountNamespace) {
    const char* step = "building the root filesystem";
    if (int err = BuildRoot(ctx.config.rootfs, spec, uid, gid, &step)) Fail(sync_fd, step, err);
  }

  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t runtime = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
  if (runtime < 0) Fail(sync_fd, "forking the runtime", errno);
  if (runtime == 0) ExecRuntime(spec, ctx, uid, gid, log_fd, sync_fd, argv.data(), envp.data());
  close(log_fd);
  close(sync_fd);
  // Init itself keeps no privilege either: it only waits.
  if (spec.layers & kUnprivilegedUser) {
    if (DropPrivileges(uid, gid) != 0) _exit(126);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
  }
  if (ctx.seccomp && ctx.seccomp->Install() != 0) _exit(126);
  while (true) {
    int st = 0;
    pid_t p = waitpid(-1, &st, 0);
    if (p == runtime) {
      WriteAll(status_fd, &st, sizeof(st));
      _exit(0);
    }
    if (p < 0 && errno == ECHILD) _exit(0);
  }
}

struct PendingRemoval {
  std::string cgroup;
  int64_t not_before_ns;  // give the server time to read the cgroup's final statistics
};

struct Child {
  std::string cgroup;
  bool pid_namespace;  // if not, the tree is killed through the cgroup when init ends
};

class Launcher {
 public:
  Launcher(int sock, const CgroupManager& cgroups, const LauncherConfig& config)
      : sock_(sock), cgroups_(cgroups), config_(config) {}

  [[noreturn]] void Run() {
    host_netns_.Reset(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    auto filter = SeccompFilter::Build();
    if (filter.ok()) seccomp_ = std::move(filter).value();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    while (true) {
      pollfd fds[2] = {{sock_, POLLIN, 0}, {sfd, POLLIN, 0}};
      int timeout = removals_.empty() ? -1 : 50;
      int n = poll(fds, 2, timeout);
      if (n < 0 && errno != EINTR) break;
      if (fds[1].revents & POLLIN) {
        signalfd_siginfo info;
        while (read(sfd, &info, sizeof(info)) == sizeof(info)) {
        }
        Reap();
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        auto msg = ReceiveLauncherMessage(sock_);
        if (!msg.ok()) break;  // the server is gone
        Handle(std::move(msg).value());
      }
      RetryRemovals();
    }
    // The server closed the socket: stop every environment and clean up.
    for (const auto& [pid, child] : children_) {
      kill(pid, SIGKILL);
      if (!child.pid_namespace) cgroups_.KillAll(child.cgroup);
    }
    for (int i = 0; i < 100 && !children_.empty(); ++i) {
      Reap();
      if (!children_.empty()) usleep(10000);
    }
    for (auto& r : removals_) r.not_before_ns = 0;
    RetryRemovals();
    _exit(0);
  }

 private:
  void Reply(const json::object& o, const std::vector<int>& fds = {}) {
    (void)SendLauncherMessage(sock_, json::serialize(o), fds);
  }

  void Handle(LauncherMessage msg) {
    json::error_code ec;
    json::value v = json::parse(msg.json, ec);
    if (ec || !v.is_object()) return;
    const auto& o = v.as_object();
    json::object reply;
    reply["id"] = o.contains("id") ? o.at("id") : json::value(0);
    auto fail = [&](std::string why) {
      reply["ok"] = false;
      reply["error"] = std::move(why);
      Reply(reply);
    };
    if (msg.fds_truncated) {
      return fail(std::string("the launcher could not receive the request's descriptors: ") +
                  strerror(EMFILE));
    }
    auto* spec_v = o.if_contains("spec");
    if (!spec_v || msg.fds.size() != 2) return fail("malformed spawn request");
    auto parsed = SpawnSpec::FromJson(json::serialize(*spec_v));
    if (!parsed.ok()) return fail(parsed.status().message());
    SpawnSpec& spec = *parsed;
    if ((spec.layers & kSeccomp) && !seccomp_) return fail("the seccomp filter is unavailable");
    bool cgroup = spec.layers & kCgroupLimits;
    if (cgroup) {
      Status created = cgroups_.Create(spec.cgroup, spec.limits);
      if (!created.ok()) return fail(created.message());
    }
    auto drop_cgroup = [&] {
      if (cgroup) cgroups_.Remove(spec.cgroup);
    };

    // The Runtime API listener, in the environment's own network namespace when it has one.
    bool netns = spec.layers & kNetworkNamespace;
    if (netns) {
      Status entered = EnterNewNetworkNamespace();
      if (!entered.ok()) {
        RestoreNetwork();
        drop_cgroup();
        return fail(entered.message());
      }
    }
    uint16_t port = 0;
    auto listener = ListenOnLoopback(netns ? kRuntimeApiPort : 0, &port);
    if (!listener.ok()) {
      if (netns) RestoreNetwork();
      drop_cgroup();
      return fail(listener.status().message());
    }
    std::string api = "AWS_LAMBDA_RUNTIME_API=127.0.0.1:" + std::to_string(port);
    bool replaced = false;
    for (auto& e : spec.env) {
      if (e.rfind("AWS_LAMBDA_RUNTIME_API=", 0) == 0) {
        e = api;
        replaced = true;
      }
    }
    if (!replaced) spec.env.push_back(api);

    uint32_t slot = next_uid_++ % std::max<uint32_t>(1, config_.uid_count);
    uid_t uid = config_.uid_base + slot;
    EnvironmentContext ctx{cgroups_, config_, (spec.layers & kSeccomp) ? &*seccomp_ : nullptr};
    uint64_t flags = 0;
    if (spec.layers & kPidNamespace) flags |= CLONE_NEWPID;
    if (spec.layers & kMountNamespace) flags |= CLONE_NEWNS;
    if (spec.layers & kIpcNamespace) flags |= CLONE_NEWIPC;
    if (spec.layers & kUtsNamespace) flags |= CLONE_NEWUTS;

    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0) {
      int err = errno;
      if (netns) RestoreNetwork();
      drop_cgroup();
      return fail(std::string("pipe: ") + strerror(err));
    }
    int pidfd = -1;
    pid_t pid = Clone3(flags, &pidfd);
    if (pid == 0) {
      close(sync[0]);
      RunInit(spec, ctx, uid, uid, msg.fds[0].get(), msg.fds[1].get(), sync[1]);
    }
    int clone_err = errno;
    if (netns) RestoreNetwork();
    close(sync[1]);
    msg.fds.clear();  // our copies of the pipes' write ends
    if (pid < 0) {
      close(sync[0]);
      drop_cgroup();
      return fail(std::string("clone: ") + strerror(clone_err));
    }
    children_[pid] = {spec.cgroup, (spec.layers & kPidNamespace) != 0};
    SetupFailure f{};
    ssize_t n;
    do {
      n = read(sync[0], &f, sizeof(f));
    } while (n < 0 && errno == EINTR);
    close(sync[0]);
    if (n == static_cast<ssize_t>(sizeof(f))) {
      close(pidfd);
      f.step[sizeof(f.step) - 1] = '\0';
      return fail(std::string("environment set-up failed while ") + f.step + ": " +
                  strerror(f.err));
    }
    reply["ok"] = true;
    reply["pid"] = pid;
    reply["uid"] = uid;
    Reply(reply, {pidfd, listener->get()});
    close(pidfd);
  }

  // The launcher must never stay in an environment's network namespace.
  void RestoreNetwork() {
    Status back = ReturnToNetworkNamespace(host_netns_.get());
    if (!back.ok()) {
      // Every later environment would share this namespace: stop rather than continue.
      const char msg[] = "kindling-launch: cannot return to the host network namespace\n";
      WriteAll(2, msg, sizeof(msg) - 1);
      _exit(70);
    }
  }

  void Reap() {
    while (true) {
      int st;
      pid_t p = waitpid(-1, &st, WNOHANG);
      if (p <= 0) return;
      auto it = children_.find(p);
      if (it == children_.end()) continue;
      if (!it->second.pid_namespace) cgroups_.KillAll(it->second.cgroup);
      removals_.push_back({it->second.cgroup, MonoNanosNow() + 1000000000LL});
      children_.erase(it);
    }
  }

  void RetryRemovals() {
    int64_t now = MonoNanosNow();
    for (auto it = removals_.begin(); it != removals_.end();) {
      if (it->not_before_ns > now) {
        ++it;
        continue;
      }
      int err = cgroups_.Remove(it->cgroup);
      if (err == EBUSY && it->not_before_ns != 0) {
        it->not_before_ns = now + 50000000LL;
        ++it;
      } else {
        it = removals_.erase(it);
      }
    }
  }

  int sock_;
  const CgroupManager& cgroups_;
  const LauncherConfig& config_;
  std::optional<SeccompFilter> seccomp_;
  UniqueFd host_netns_;
  uint32_t next_uid_ = 0;
  std::map<pid_t, Child> children_;  // init pid -> what to clean up
  std::deque<PendingRemoval> removals_;
};

}  // namespace

[[noreturn]] void RunLauncher(int sock, const CgroupManager& cgroups, const LauncherConfig& config,
                              pid_t server_pid) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != server_pid) _exit(0);
  prctl(PR_SET_NAME, "kindling-launch");
  // Terminal signals are for the server, which drains and then closes our socket.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  if (sock != 3) {
    dup2(sock, 3);
    sock = 3;
  }
  syscall(SYS_close_range, 4, ~0U, 0);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) dup2(devnull, 0);
  Launcher(sock, cgroups, config).Run();
}

Result<std::unique_ptr<LauncherClient>> LauncherClient::Start(CgroupManager cgroups,
                                                              LauncherConfig config) {
  cgroups.Sweep();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return Unavailable(std::string("socketpair: ") + strerror(errno));
  }
  int buf = static_cast<int>(kMaxLauncherMessage * 4);
  for (int fd : sv) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  }
  pid_t server = getpid();
  pid_t pid = fork();
  if (pid < 0) return Unavailable(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    close(sv[0]);
    int fd = fcntl(sv[1], F_DUPFD, 3);  // the launcher keeps its socket across nothing: no exec
    RunLauncher(fd, cgroups, config, server);
  }
  close(sv[1]);
  return std::unique_ptr<LauncherClient>(
      new LauncherClient(std::move(cgroups), UniqueFd(sv[0]), pid));
}

LauncherClient::LauncherClient(CgroupManager cgroups, UniqueFd sock, pid_t pid)
    : cgroups_(std::move(cgroups)), sock_(std::move(sock)), launcher_pid_(pid) {
  reply_thread_ = std::thread([this] { ReplyLoop(); });
}

LauncherClient::~LauncherClient() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  shutdown(sock_.get(), SHUT_RDWR);
  reply_thread_.join();
  int st;
  waitpid(launcher_pid_, &st, 0);
}

void LauncherClient::Spawn(const SpawnSpec& spec, UniqueFd log_w, UniqueFd status_w,
                           SpawnCallback done) {
  uint64_t id = 0;
  bool dead;
  {
    std::lock_guard lock(mu_);
    dead = dead_;
    if (!dead) {
      id = next_id_++;
      pending_[id] = std::move(done);
    }
  }
  if (dead) {
    done(Unavailable("the launcher process is gone; restart kindling"));
    return;
  }
  std::string msg = "{\"id\":" + std::to_string(id) + ",\"op\":\"spawn\",\"spec\":" +
                    spec.ToJson() + "}";
  Status s = SendLauncherMessage(sock_.get(), msg, {log_w.get(), status_w.get()});
  if (!s.ok()) {
    SpawnCallback cb;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      cb = std::move(it->second);
      pending_.erase(it);
    }
    cb(s);
  }
}

void LauncherClient::ReplyLoop() {
  while (true) {
    auto msg = ReceiveLauncherMessage(sock_.get());
    if (!msg.ok()) break;
    json::error_code ec;
    json::value v = json::parse(msg->json, ec);
    if (ec || !v.is_object()) continue;
    const auto& o = v.as_object();
    uint64_t id = o.contains("id") && o.at("id").is_int64() ? o.at("id").as_int64() : 0;
    SpawnCallback cb;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;
      cb = std::move(it->second);
      pending_.erase(it);
    }
    if (o.contains("ok") && o.at("ok").is_bool() && o.at("ok").as_bool() && !msg->fds.empty()) {
      Spawned s;
      s.pid = static_cast<pid_t>(o.at("pid").as_int64());
      s.pidfd = std::move(msg->fds[0]);
      if (msg->fds.size() > 1) s.runtime_api = std::move(msg->fds[1]);
      cb(std::move(s));
    } else {
      std::string err = o.contains("error") && o.at("error").is_string()
                            ? std::string(o.at("error").as_string())
                            : "launcher error";
      cb(Unavailable(err));
    }
  }
  std::map<uint64_t, SpawnCallback> orphans;
  bool unexpected;
  {
    std::lock_guard lock(mu_);
    dead_ = true;
    unexpected = !stopping_;
    orphans.swap(pending_);
  }
  for (auto& [id, cb] : orphans) cb(Unavailable("the launcher process is gone"));
  if (unexpected && on_death_) on_death_();
}

}  // namespace kindling::sandbox
