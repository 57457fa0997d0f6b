// bench_floor: this machine's physical floor for kindling's cold start and warm path, measured
// in the same run as `make bench` so every kindling figure can stand beside it (a shared VM
// drifts between runs; figures from two runs do not compare). POSIX and libstdc++ only.
//
// Prints one JSON object on stdout; every figure is wall-clock µs (steady_clock) with n, min,
// p50, p99 and max (percentiles interpolated linearly, as bench.py's pct does):
//
//   fork              fork() + child _exit(0) + parent waitpid(), from a small parent. The
//                     least any new process costs: kindling's launcher clones every execution
//                     environment (and its runtime process) from a small process too.
//   fork_exec_static  fork() + execve() of a static `int main() { return 0; }` (bench_floor_exit,
//                     linked -static like the native hello bootstrap) + waitpid(). The least
//                     a cold start that execs a runtime can cost: kindling forks and execs the
//                     bootstrap or interpreter for every new environment, and every namespace,
//                     cgroup, mount, runtime start and handler import comes on top. Neither
//                     fork figure is pinned, so the child lands wherever the scheduler puts it,
//                     as the launcher's children do.
//   http_loopback_same_vcpu / http_loopback_cross_vcpu
//                     one keep-alive HTTP/1.1 GET and its 200 response (Content-Length: 2)
//                     over TCP 127.0.0.1 with TCP_NODELAY, between this thread and an
//                     in-process single-thread epoll server, both pinned to one vCPU, then
//                     to two different vCPUs (skipped on a 1-CPU machine). A warm invoke
//                     crosses loopback HTTP at least twice (client -> kindling, kindling <->
//                     the runtime's pending /next and its /response), so 2 x this round trip
//                     is what no HTTP-speaking platform can go under here; the cross-vCPU
//                     figure is what each hop costs when the two sides are not on one vCPU.
//   pipe_pingpong_same_vcpu / pipe_pingpong_cross_vcpu
//                     64 bytes to a forked child over a pipe and 64 bytes back over another:
//                     the cheapest round trip between two processes with a kernel wake-up in
//                     each direction, without TCP or HTTP. Its cross-vCPU figure isolates the
//                     cost of waking a process on the other vCPU (on this Firecracker guest the
//                     idle vCPU halts and the hypervisor must wake it).
//
// Usage: bench_floor [--helper PATH]   (default: bench_floor_exit beside this binary)
// The whole run takes a few seconds (n = 1,000 for the process figures, 20,000 and 5,000 for
// the same- and cross-vCPU round trips).

#ifdef KINDLING_FLOOR_EXIT_ONLY

// bench_floor_exit: the static binary that the fork_exec_static figure executes.
int main() { return 0; }

#else

#include <arpa/inet.h>
#include <elf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kProcessRuns = 1000;
constexpr int kSameVcpuRuns = 20000;
constexpr int kCrossVcpuRuns = 5000;
constexpr int kMessageBytes = 64;
constexpr std::string_view kRequest = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "bench_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

double Percentile(const std::vector<double>& sorted, double p) {
  double k = (sorted.size() - 1) * p / 100.0;
  size_t lo = static_cast<size_t>(k);
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (k - lo);
}

// {"n":..,"min_us":..,"p50_us":..,"p99_us":..,"max_us":..} plus any extra members.
std::string Summary(std::vector<double> us, const std::string& extra = "") {
  std::sort(us.begin(), us.end());
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "{\"n\": %zu, \"min_us\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
                "\"max_us\": %.1f",
                us.size(), us.front(), Percentile(us, 50), Percentile(us, 99), us.back());
  return std::string(buf) + extra + "}";
}

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) Die("sched_getaffinity");
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

// Pins the calling thread (sched_setaffinity with pid 0 applies to the caller only).
void PinTo(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) Die("sched_setaffinity");
}

void WaitForExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Die("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_floor: child %d failed (status 0x%x)\n", pid, status);
    std::exit(1);
  }
}

std::string MeasureFork() {
  std::vector<double> us;
  for (int i = -20; i < kProcessRuns; ++i) {
    auto start = Clock::now();
    pid_t pid = fork();
    if (pid < 0) Die("fork");
    if (pid == 0) _exit(0);
    WaitForExit(pid);
    if (i >= 0) us.push_back(MicrosSince(start));
  }
  return Summary(us);
}

std::string MeasureForkExec(const std::string& helper, bool helper_static) {
  char* argv[] = {const_cast<char*>(helper.c_str()), nullptr};
  char* envp[] = {nullptr};
  std::vector<double> us;
  for (int i = -20; i < kProcessRuns; ++i) {
    auto start = Clock::now();
    pid_t pid = fork();
    if (pid < 0) Die("fork");
    if (pid == 0) {
      execve(argv[0], argv, envp);
      _exit(127);
    }
    WaitForExit(pid);
    if (i >= 0) us.push_back(MicrosSince(start));
  }
  std::string extra =
      ", \"binary\": \"" + helper + "\", \"static\": " + (helper_static ? "true" : "false");
  return Summary(us, extra);
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      Die("write");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void ReadExactly(int fd, char* data, size_t size) {
  while (size > 0) {
    ssize_t n = read(fd, data, size);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      Die("read");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void SetNoDelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) Die("TCP_NODELAY");
}

// A minimal keep-alive HTTP/1.1 server: one thread, epoll, answers every complete request head
// with kResponse. Enough for one client measuring round trips; no bodies, no pipelining limits.
class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(int cpu) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) Die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) Die("bind");
    if (listen(listen_fd_, 16) != 0) Die("listen");
    if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      Die("getsockname");
    }
    port_ = ntohs(addr.sin_port);
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    if (stop_fd_ < 0) Die("eventfd");
    thread_ = std::thread([this, cpu] { Run(cpu); });
  }

  ~LoopbackHttpServer() {
    uint64_t one = 1;
    WriteAll(stop_fd_, reinterpret_cast<const char*>(&one), sizeof(one));
    thread_.join();
    close(stop_fd_);
    close(listen_fd_);
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }

 private:
  void Run(int cpu) {
    PinTo({cpu});
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) Die("epoll_create1");
    Watch(ep, listen_fd_);
    Watch(ep, stop_fd_);
    std::unordered_map<int, std::string> pending;  // connection -> bytes of an unfinished head
    epoll_event events[16];
    for (;;) {
      int n = epoll_wait(ep, events, 16, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        Die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == stop_fd_) {
          for (auto& [conn, unused] : pending) close(conn);
          close(ep);
          return;
        }
        if (fd == listen_fd_) {
          int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (conn < 0) continue;
          SetNoDelay(conn);
          Watch(ep, conn);
          pending[conn];
          continue;
        }
        if (!Serve(fd, &pending[fd])) {
          pending.erase(fd);
          close(fd);  // also removes it from the epoll set
        }
      }
    }
  }

  // Reads what is there and answers each complete request head; false once the peer is gone.
  static bool Serve(int fd, std::string* buffer) {
    char chunk[4096];
    for (;;) {
      ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN) break;
        if (errno == EINTR) continue;
        return false;
      }
      buffer->append(chunk, static_cast<size_t>(n));
    }
    size_t end = buffer->find("\r\n\r\n");
    while (end != std::string::npos) {
      buffer->erase(0, end + 4);
      WriteAll(fd, kResponse.data(), kResponse.size());
      end = buffer->find("\r\n\r\n");
    }
    return true;
  }

  static void Watch(int ep, int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) Die("epoll_ctl");
  }

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Reads one response (head, then Content-Length bytes of body) from a blocking socket.
void ReadResponse(int fd, std::string* buffer) {
  buffer->clear();
  char chunk[4096];
  size_t head_end = std::string::npos;
  size_t want = 0;
  for (;;) {
    if (head_end == std::string::npos) {
      head_end = buffer->find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t cl = buffer->find("Content-Length: ");
        if (cl == std::string::npos || cl > head_end) {
          std::fprintf(stderr, "bench_floor: response without Content-Length\n");
          std::exit(1);
        }
        want = head_end + 4 + std::strtoul(buffer->c_str() + cl + 16, nullptr, 10);
      }
    }
    if (head_end != std::string::npos && buffer->size() >= want) return;
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      Die("read response");
    }
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

std::string MeasureHttp(int client_cpu, int server_cpu, int runs) {
  LoopbackHttpServer server(server_cpu);
  PinTo({client_cpu});
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("connect");
  SetNoDelay(fd);
  std::string buffer;
  buffer.reserve(4096);
  std::vector<double> us;
  us.reserve(runs);
  for (int i = -200; i < runs; ++i) {
    auto start = Clock::now();
    WriteAll(fd, kRequest.data(), kRequest.size());
    ReadResponse(fd, &buffer);
    if (i >= 0) us.push_back(MicrosSince(start));
  }
  close(fd);
  char extra[64];
  std::snprintf(extra, sizeof(extra), ", \"client_cpu\": %d, \"server_cpu\": %d", client_cpu,
                server_cpu);
  return Summary(us, extra);
}

std::string MeasurePipe(int parent_cpu, int child_cpu, int runs) {
  int to_child[2], to_parent[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(to_parent, O_CLOEXEC) != 0) Die("pipe2");
  PinTo({parent_cpu});
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    PinTo({child_cpu});
    close(to_child[1]);
    close(to_parent[0]);
    char msg[kMessageBytes];
    for (;;) {
      ssize_t n = read(to_child[0], msg, sizeof(msg));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(0);
      WriteAll(to_parent[1], msg, static_cast<size_t>(n));
    }
  }
  close(to_child[0]);
  close(to_parent[1]);
  char msg[kMessageBytes] = {};
  std::vector<double> us;
  us.reserve(runs);
  for (int i = -200; i < runs; ++i) {
    auto start = Clock::now();
    WriteAll(to_child[1], msg, sizeof(msg));
    ReadExactly(to_parent[0], msg, sizeof(msg));
    if (i >= 0) us.push_back(MicrosSince(start));
  }
  close(to_child[1]);
  close(to_parent[0]);
  WaitForExit(pid);
  char extra[64];
  std::snprintf(extra, sizeof(extra), ", \"parent_cpu\": %d, \"child_cpu\": %d", parent_cpu,
                child_cpu);
  return Summary(us, extra);
}

// True for an ELF executable without a PT_INTERP header (no dynamic loader runs at exec).
bool IsStaticElf(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  Elf64_Ehdr eh{};
  bool is_static = pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
                   std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
                   eh.e_ident[EI_CLASS] == ELFCLASS64;
  for (int i = 0; is_static && i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    off_t at = static_cast<off_t>(eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize);
    if (pread(fd, &ph, sizeof(ph), at) != sizeof(ph) || ph.p_type == PT_INTERP) is_static = false;
  }
  close(fd);
  return is_static;
}

std::string DefaultHelper() {
#ifdef KINDLING_FLOOR_HELPER
  if (std::filesystem::exists(KINDLING_FLOOR_HELPER)) return KINDLING_FLOOR_HELPER;
#endif
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "bench_floor_exit").string();
}

}  // namespace

int main(int argc, char** argv) {
  std::string helper = DefaultHelper();
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--helper" && i + 1 < argc) {
      helper = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--helper STATIC_BINARY]\n", argv[0]);
      return 2;
    }
  }
  if (access(helper.c_str(), X_OK) != 0) Die(("helper " + helper).c_str());
  bool helper_static = IsStaticElf(helper);

  auto run_start = Clock::now();
  std::vector<int> cpus = AllowedCpus();
  std::string cpu_list;
  for (int cpu : cpus) cpu_list += (cpu_list.empty() ? "" : ", ") + std::to_string(cpu);

  // Process creation first, from a parent with no other thread and a small address space.
  std::string fork_only = MeasureFork();
  std::string fork_exec = MeasureForkExec(helper, helper_static);

  int a = cpus.front();
  bool cross = cpus.size() >= 2;
  int b = cross ? cpus[1] : a;
  const std::string skipped = "{\"skipped\": \"one CPU allowed\"}";
  std::string pipe_same = MeasurePipe(a, a, kSameVcpuRuns);
  std::string pipe_cross = cross ? MeasurePipe(a, b, kCrossVcpuRuns) : skipped;
  std::string http_same = MeasureHttp(a, a, kSameVcpuRuns);
  std::string http_cross = cross ? MeasureHttp(a, b, kCrossVcpuRuns) : skipped;
  PinTo(cpus);

  std::printf(
      "{\"cpus_allowed\": [%s], \"units\": \"us\",\n"
      " \"fork\": %s,\n \"fork_exec_static\": %s,\n"
      " \"http_loopback_same_vcpu\": %s,\n \"http_loopback_cross_vcpu\": %s,\n"
      " \"pipe_pingpong_same_vcpu\": %s,\n \"pipe_pingpong_cross_vcpu\": %s,\n"
      " \"seconds\": %.2f}\n",
      cpu_list.c_str(), fork_only.c_str(), fork_exec.c_str(), http_same.c_str(), http_cross.c_str(),
      pipe_same.c_str(), pipe_cross.c_str(), MicrosSince(run_start) / 1e6);
  return 0;
}

#endif  // KINDLING_FLOOR_EXIT_ONLY
