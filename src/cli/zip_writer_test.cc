#include "cli/zip_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace kindling::cli {
namespace {

namespace fs = std::filesystem;

struct ReadEntry {
  std::string name;
  mode_t type = 0;
  int perm = 0;
  std::string content;  // file data, or the symlink target
};

// Reads `zip` back with libarchive, in archive order.
std::vector<ReadEntry> ReadZip(const std::string& zip) {
  std::vector<ReadEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  EXPECT_EQ(archive_read_open_memory(a, zip.data(), zip.size()), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    ReadEntry r;
    r.name = archive_entry_pathname(e);
    r.type = archive_entry_filetype(e);
    r.perm = archive_entry_perm(e);
    if (r.type == AE_IFLNK) {
      r.content = archive_entry_symlink(e);
    } else {
      char buf[4096];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) r.content.append(buf, n);
      EXPECT_GE(n, 0) << archive_error_string(a);
    }
    out.push_back(r);
  }
  archive_read_free(a);
  return out;
}

class ZipWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kindling-zip-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ / "fn";
    fs::create_directories(dir_ / "lib" / "deep");
    fs::create_directories(dir_ / "empty");
    Write("app.py", "def handler(event, context):\n    return event\n", 0644);
    Write("bootstrap", "#!/bin/sh\nexec python3 app.py\n", 0755);
    Write("lib/util.py", "X = 1\n", 0600);
    Write("lib/deep/data.bin", std::string("\0\1\2binary", 9), 0644);
    Write("Zfirst.txt", "capital letters sort first\n", 0644);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& data, mode_t mode) {
    std::ofstream(dir_ / rel, std::ios::binary) << data;
    ASSERT_EQ(chmod((dir_ / rel).c_str(), mode), 0);
  }

  fs::path root_;
  fs::path dir_;
};

TEST_F(ZipWriterTest, RoundTripsNamesContentsAndExecBit) {
  auto zip = ZipDirectory(dir_.string());
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  EXPECT_TRUE(zip->warnings.empty());
  std::vector<ReadEntry> entries = ReadZip(zip->bytes);
  EXPECT_EQ(zip->entries, static_cast<int>(entries.size()));
  std::vector<std::string> names;
  std::map<std::string, ReadEntry> by_name;
  for (const auto& e : entries) {
    names.push_back(e.name);
    by_name[e.name] = e;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Zfirst.txt", "app.py", "bootstrap", "empty/",
                                             "lib/", "lib/deep/", "lib/deep/data.bin",
                                             "lib/util.py"}));
  EXPECT_EQ(by_name["app.py"].content, "def handler(event, context):\n    return event\n");
  EXPECT_EQ(by_name["app.py"].type, AE_IFREG);
  EXPECT_EQ(by_name["app.py"].perm, 0644);
  EXPECT_EQ(by_name["bootstrap"].perm, 0755);
  EXPECT_EQ(by_name["bootstrap"].content, "#!/bin/sh\nexec python3 app.py\n");
  EXPECT_EQ(by_name["lib/util.py"].perm, 0644);  // normalized, still readable
  EXPECT_EQ(by_name["lib/deep/data.bin"].content, std::string("\0\1\2binary", 9));
  EXPECT_EQ(by_name["empty/"].type, AE_IFDIR);
  EXPECT_EQ(by_name["empty/"].perm, 0755);
}

TEST_F(ZipWriterTest, SameFolderSameBytesWhateverTimesAndTimeZone) {
  auto first = ZipDirectory(dir_.string());
  ASSERT_TRUE(first.ok());
  // New modification times and another time zone must not change a single byte.
  timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir_ / "app.py").c_str(), times, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (dir_ / "lib").c_str(), times, 0), 0);
  const char* old_tz = getenv("TZ");
  std::string saved = old_tz ? old_tz : "";
  setenv("TZ", "Asia/Kolkata", 1);
  tzset();
  auto second = ZipDirectory(dir_.string());
  if (old_tz) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->bytes, second->bytes);
  // And a change of content does change them.
  Write("app.py", "changed\n", 0644);
  auto third = ZipDirectory(dir_.string());
  ASSERT_TRUE(third.ok());
  EXPECT_NE(first->bytes, third->bytes);
}

TEST_F(ZipWriterTest, KeepsInsideSymlinksAndSkipsOthers) {
  fs::create_symlink("app.py", dir_ / "link.py");
  fs::create_symlink("../app.py", dir_ / "lib" / "up.py");
  fs::create_symlink("../../etc/passwd", dir_ / "lib" / "escape");
  fs::create_symlink("/etc/passwd", dir_ / "abs");
  fs::create_symlink("deep/../../app.py", dir_ / "lib" / "twisty");
  fs::create_symlink(root_, dir_ / "outside_dir");  // never followed
  ASSERT_EQ(mkfifo((dir_ / "pipe").c_str(), 0644), 0);

  auto zip = ZipDirectory(dir_.string());
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  std::map<std::string, ReadEntry> by_name;
  for (const auto& e : ReadZip(zip->bytes)) by_name[e.name] = e;
  ASSERT_TRUE(by_name.count("link.py"));
  EXPECT_EQ(by_name["link.py"].type, AE_IFLNK);
  EXPECT_EQ(by_name["link.py"].content, "app.py");
  ASSERT_TRUE(by_name.count("lib/up.py"));
  EXPECT_EQ(by_name["lib/up.py"].content, "../app.py");
  for (const char* skipped : {"lib/escape", "abs", "lib/twisty", "outside_dir", "pipe"}) {
    EXPECT_EQ(by_name.count(skipped), 0u) << skipped;
  }
  ASSERT_EQ(zip->warnings.size(), 5u);
  std::string all;
  for (const auto& w : zip->warnings) all += w + "\n";
  EXPECT_NE(all.find("skipping symlink abs -> /etc/passwd (points outside the package)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("skipping symlink lib/escape -> ../../etc/passwd"), std::string::npos);
  EXPECT_NE(all.find("lib/twisty"), std::string::npos);
  EXPECT_NE(all.find("skipping pipe (not a regular file"), std::string::npos);
}

TEST_F(ZipWriterTest, NonDirectoryIsAnError) {
  auto zip = ZipDirectory((dir_ / "app.py").string());
  ASSERT_FALSE(zip.ok());
  EXPECT_EQ(zip.status().code(), ErrorCode::kInvalidParameter);
  EXPECT_FALSE(ZipDirectory((root_ / "missing").string()).ok());
}

TEST_F(ZipWriterTest, UnreadableFileIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads everything";
  Write("secret", "x", 0000);
  auto zip = ZipDirectory(dir_.string());
  ASSERT_FALSE(zip.ok());
  EXPECT_NE(zip.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace kindling::cli
