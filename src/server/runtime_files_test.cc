#include "server/runtime_files.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "server/embedded_files.h"
#include "util/ids.h"

namespace kindling::server {
namespace {

namespace fs = std::filesystem;

TEST(RuntimeFiles, InstallsEveryEmbeddedFileReadOnlyOnce) {
  fs::path dir = fs::temp_directory_path() / ("kindling-rt-" + RandomHex(4));
  control::RuntimeCatalog catalog({{"python3.11", control::RuntimeFamily::kPython,
                                    "/usr/bin/python3.11", "AWS_Lambda_python3.11", "py"}});
  auto installed = InstallRuntimeFiles(dir.string(), catalog);
  ASSERT_TRUE(installed.ok()) << installed.status().ToString();
  ASSERT_FALSE(EmbeddedRuntimeFiles().empty());
  bool saw_python = false, saw_node = false;
  for (const auto& f : EmbeddedRuntimeFiles()) {
    fs::path p = fs::path(*installed) / std::string(f.path);
    ASSERT_TRUE(fs::exists(p)) << p;
    EXPECT_EQ(fs::file_size(p), f.contents.size());
    EXPECT_EQ(fs::status(p).permissions() & fs::perms::owner_write, fs::perms::none) << p;
    saw_python |= f.path == "python/bootstrap.py";
    saw_node |= f.path == "node/index.mjs";
  }
  EXPECT_TRUE(saw_python && saw_node);
  // Bytecode is compiled up front, so a read-only runtime directory costs nothing at start.
  EXPECT_TRUE(fs::exists(fs::path(*installed) / "python" / "kindling_ric" / "__pycache__"));
  struct stat before;
  ASSERT_EQ(stat(installed->c_str(), &before), 0);
  auto again = InstallRuntimeFiles(dir.string(), catalog);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *installed);
  struct stat after;
  ASSERT_EQ(stat(again->c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // not reinstalled
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kindling::server
