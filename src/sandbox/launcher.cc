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
#include <deque>

#include "sandbox/launcher_protocol.h"
#include "util/clock.h"

namespace kindling::sandbox {

namespace json = boost::json;

namespace {

// What the environment reports on the sync pipe when set-up fails before exec.
struct SetupFailure {
  int stage;
  int err;
};
enum Stage : int { kAttach = 1, kFork = 2, kChdir = 3, kExec = 4, kIo = 5 };

const char* StageName(int stage) {
  switch (stage) {
    case kAttach: return "joining the cgroup";
    case kFork: return "forking the runtime";
    case kChdir: return "entering the working directory";
    case kExec: return "executing the runtime";
    default: return "setting up descriptors";
  }
}

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

[[noreturn]] void Fail(int sync_fd, int stage, int err) {
  SetupFailure f{stage, err};
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

// Pid 1 of a new environment. `log_fd`, `status_fd` and `sync_fd` are the only descriptors it
// keeps.
[[noreturn]] void RunInit(const SpawnSpec& spec, const CgroupManager& cgroups, int log_fd,
                          int status_fd, int sync_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  ResetSignals();
  // Move the three descriptors to 3, 4, 5 and close everything else the launcher had open.
  int tmp[3] = {fcntl(log_fd, F_DUPFD_CLOEXEC, 100), fcntl(status_fd, F_DUPFD_CLOEXEC, 100),
                fcntl(sync_fd, F_DUPFD_CLOEXEC, 100)};
  if (tmp[0] < 0 || tmp[1] < 0 || tmp[2] < 0) Fail(sync_fd, kIo, errno);
  for (int i = 0; i < 3; ++i) {
    if (dup3(tmp[i], 3 + i, O_CLOEXEC) < 0) Fail(tmp[2], kIo, errno);
  }
  log_fd = 3;
  status_fd = 4;
  sync_fd = 5;
  syscall(SYS_close_range, 6, ~0U, 0);
  prctl(PR_SET_NAME, "kindling-init");
  // Keep init out of the OOM killer's choice: the runtime is what exceeded the limit.
  WriteProc("/proc/self/oom_score_adj", "-1000");
  setsid();
  if (int err = cgroups.AttachSelf(spec.cgroup)) Fail(sync_fd, kAttach, err);

  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t runtime = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
  if (runtime < 0) Fail(sync_fd, kFork, errno);
  if (runtime == 0) {
    WriteProc("/proc/self/oom_score_adj", "0");
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
      Fail(sync_fd, kIo, errno);
    }
    if (chdir(spec.cwd.c_str()) != 0) Fail(sync_fd, kChdir, errno);
    // Every descriptor but 0-2 is closed by the exec (sync_fd stays usable until then).
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(argv[0], argv.data(), envp.data());
    Fail(sync_fd, kExec, errno);
  }
  close(log_fd);
  close(sync_fd);
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

class Launcher {
 public:
  Launcher(int sock, const CgroupManager& cgroups) : sock_(sock), cgroups_(cgroups) {}

  [[noreturn]] void Run() {
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
    for (const auto& [pid, cg] : children_) kill(pid, SIGKILL);
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
    auto* spec_v = o.if_contains("spec");
    if (!spec_v || msg.fds.size() != 2) return fail("malformed spawn request");
    auto spec = SpawnSpec::FromJson(json::serialize(*spec_v));
    if (!spec.ok()) return fail(spec.status().message());
    Status created = cgroups_.Create(spec->cgroup, spec->limits);
    if (!created.ok()) return fail(created.message());
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0) {
      int err = errno;
      cgroups_.Remove(spec->cgroup);
      return fail(std::string("pipe: ") + strerror(err));
    }
    int pidfd = -1;
    pid_t pid = Clone3(CLONE_NEWPID, &pidfd);
    if (pid == 0) {
      close(sync[0]);
      RunInit(*spec, cgroups_, msg.fds[0].get(), msg.fds[1].get(), sync[1]);
    }
    int clone_err = errno;
    close(sync[1]);
    msg.fds.clear();  // our copies of the pipes' write ends
    if (pid < 0) {
      close(sync[0]);
      cgroups_.Remove(spec->cgroup);
      return fail(std::string("clone: ") + strerror(clone_err));
    }
    children_[pid] = spec->cgroup;
    SetupFailure f{};
    ssize_t n;
    do {
      n = read(sync[0], &f, sizeof(f));
    } while (n < 0 && errno == EINTR);
    close(sync[0]);
    if (n == static_cast<ssize_t>(sizeof(f))) {
      close(pidfd);
      return fail(std::string("environment set-up failed while ") + StageName(f.stage) + ": " +
                  strerror(f.err));
    }
    reply["ok"] = true;
    reply["pid"] = pid;
    Reply(reply, {pidfd});
    close(pidfd);
  }

  void Reap() {
    while (true) {
      int st;
      pid_t p = waitpid(-1, &st, WNOHANG);
      if (p <= 0) return;
      auto it = children_.find(p);
      if (it == children_.end()) continue;
      removals_.push_back({it->second, MonoNanosNow() + 1000000000LL});
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
  std::map<pid_t, std::string> children_;  // init pid -> cgroup name
  std::deque<PendingRemoval> removals_;
};

}  // namespace

[[noreturn]] void RunLauncher(int sock, const CgroupManager& cgroups, pid_t server_pid) {
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
  Launcher(sock, cgroups).Run();
}

Result<std::unique_ptr<LauncherClient>> LauncherClient::Start(CgroupManager cgroups) {
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
    RunLauncher(fd, cgroups, server);
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
      cb(std::move(s));
    } else {
      std::string err = o.contains("error") && o.at("error").is_string()
                            ? std::string(o.at("error").as_string())
                            : "launcher error";
      cb(Unavailable(err));
    }
  }
  std::map<uint64_t, SpawnCallback> orphans;
  {
    std::lock_guard lock(mu_);
    dead_ = true;
    orphans.swap(pending_);
  }
  for (auto& [id, cb] : orphans) cb(Unavailable("the launcher process is gone"));
}

}  // namespace kindling::sandbox
