#include "control/runtime_catalog.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "util/strings.h"

extern char** environ;

namespace kindling::control {
namespace {

bool IsExecutable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// Runs `argv` and returns its stdout (first 256 bytes), or "" on failure.
std::string RunAndRead(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  std::string out;
  if (rc == 0) {
    char buf[256];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0 && out.size() < 256) out.append(buf, n);
    int st;
    waitpid(pid, &st, 0);
  }
  close(fds[0]);
  return std::string(Trim(out));
}

}  // namespace

const std::vector<std::string>& RuntimeCatalog::LambdaRuntimeIds() {
  static const std::vector<std::string> kIds = {
      "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
      "nodejs14.x", "nodejs16.x", "java8", "java8.al2", "java11", "python2.7", "python3.6",
      "python3.7", "python3.8", "python3.9", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1",
      "dotnetcore3.1", "dotnet6", "dotnet8", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7",
      "provided", "provided.al2", "nodejs18.x", "python3.10", "java17", "ruby3.2", "ruby3.3",
      "ruby3.4", "python3.11", "nodejs20.x", "provided.al2023", "python3.12", "java21",
      "python3.13", "nodejs22.x", "nodejs24.x", "python3.14", "java25", "dotnet10"};
  return kIds;
}

RuntimeCatalog RuntimeCatalog::Detect() {
  std::vector<RuntimeInfo> found;
  for (int minor = 8; minor <= 14; ++minor) {
    std::string exe = "/usr/bin/python3." + std::to_string(minor);
    if (!IsExecutable(exe)) continue;
    std::string version = RunAndRead({exe, "-c", "import platform;print(platform.python_version())"});
    std::string id = "python3." + std::to_string(minor);
    found.push_back({id, RuntimeFamily::kPython, exe, "AWS_Lambda_" + id,
                     "python:" + (version.empty() ? "3." + std::to_string(minor) : version)});
  }
  for (const char* exe : {"/usr/bin/node", "/usr/local/bin/node"}) {
    if (!IsExecutable(exe)) continue;
    std::string v = RunAndRead({exe, "--version"});  // "v20.20.2"
    if (v.size() < 2 || v[0] != 'v') continue;
    auto major = ParseInt(v.substr(1, v.find('.') - 1));
    if (!major || *major < 18) continue;
    std::string id = "nodejs" + std::to_string(*major) + ".x";
    found.push_back({id, RuntimeFamily::kNode, exe, "AWS_Lambda_" + id, "nodejs:" + v.substr(1)});
    break;
  }
  for (const char* id : {"provided.al2023", "provided.al2", "provided"}) {
    found.push_back({id, RuntimeFamily::kProvided, "", "", "provided:" + std::string(id)});
  }
  return RuntimeCatalog(std::move(found));
}

Result<const RuntimeInfo*> RuntimeCatalog::Find(std::string_view id) const {
  for (const auto& r : runtimes_)
    if (r.id == id) return &r;
  const auto& ids = LambdaRuntimeIds();
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
    std::string set;
    for (const auto& i : ids) set += (set.empty() ? "" : ", ") + i;
    return ValidationError("1 validation error detected: Value '" + std::string(id) +
                           "' at 'runtime' failed to satisfy constraint: Member must satisfy "
                           "enum value set: [" + set + "] or be a valid ARN");
  }
  std::string avail;
  for (const auto& a : AvailableIds()) avail += (avail.empty() ? "" : ", ") + a;
  return InvalidParameter("The runtime parameter of " + std::string(id) +
                          " is not available on this kindling host. Available runtimes: " +
                          avail + ".");
}

std::vector<std::string> RuntimeCatalog::AvailableIds() const {
  std::vector<std::string> out;
  for (const auto& r : runtimes_) out.push_back(r.id);
  return out;
}

}  // namespace kindling::control
