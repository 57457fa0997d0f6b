#include "server/runtime_files.h"

#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "server/embedded_files.h"
#include "util/encoding.h"
#include "util/ids.h"

extern char** environ;

namespace kindling::server {

namespace fs = std::filesystem;

namespace {

void MakeReadOnly(const fs::path& root) {
  for (auto& e : fs::recursive_directory_iterator(root)) {
    fs::permissions(e.path(),
                    e.is_directory() ? fs::perms(0555) : fs::perms(0444),
                    fs::perm_options::replace);
  }
  fs::permissions(root, fs::perms(0555), fs::perm_options::replace);
}

void Precompile(const std::string& python, const fs::path& dir) {
  std::vector<std::string> args = {python, "-m", "compileall", "-q", dir.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0) {
    int st;
    waitpid(pid, &st, 0);
  }
}

}  // namespace

Result<std::string> InstallRuntimeFiles(const std::string& data_dir,
                                        const control::RuntimeCatalog& catalog) {
  Sha256Hasher h;
  for (const auto& f : EmbeddedRuntimeFiles()) {
    h.Update(f.path);
    h.Update(std::string_view("\0", 1));
    h.Update(f.contents);
  }
  std::string hash = HexEncode(h.Finish()).substr(0, 16);
  fs::path base = fs::path(data_dir) / "runtimes";
  fs::path final_dir = base / hash;
  std::error_code ec;
  if (fs::exists(final_dir / ".complete", ec)) return final_dir.string();
  fs::create_directories(base, ec);
  fs::path staging = base / (".staging-" + RandomHex(6));
  for (const auto& f : EmbeddedRuntimeFiles()) {
    fs::path p = staging / std::string(f.path);
    fs::create_directories(p.parent_path(), ec);
    std::ofstream out(p, std::ios::binary);
    out.write(f.contents.data(), static_cast<std::streamsize>(f.contents.size()));
    if (!out) return Internal("cannot write runtime file " + p.string());
  }
  for (const auto& id : catalog.AvailableIds()) {
    auto rt = catalog.Find(id);
    if (rt.ok() && (*rt)->family == control::RuntimeFamily::kPython) {
      Precompile((*rt)->executable, staging / "python");
    }
  }
  std::ofstream(staging / ".complete") << hash << "\n";
  MakeReadOnly(staging);
  fs::rename(staging, final_dir, ec);
  if (ec) {
    // Another start won the race, or a leftover exists: use whichever is complete.
    fs::permissions(staging, fs::perms(0755), fs::perm_options::replace);
    fs::remove_all(staging, ec);
    if (!fs::exists(final_dir / ".complete")) {
      return Internal("cannot install runtime files in " + final_dir.string());
    }
  }
  return final_dir.string();
}

}  // namespace kindling::server
