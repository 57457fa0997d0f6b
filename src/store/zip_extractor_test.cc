#include "store/zip_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "store/code_store.h"
#include "store/test_zip.h"

namespace kindling::store {
namespace {

using testing::MakeZip;
using testing::TestEntry;

namespace fs = std::filesystem;

// ---- Hand-assembled zips (stored entries), for names and layouts no zip writer would produce ----

uint32_t Crc32(std::string_view data) {
  uint32_t crc = 0xffffffff;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0u - (crc & 1)));
  }
  return ~crc;
}

struct RawEntry {
  std::string name{};
  std::string data{};
  uint32_t mode = 0100644;                    // Unix st_mode, kept in the external attributes
  std::optional<uint32_t> crc{};              // overrides the real CRC (to corrupt it)
  std::optional<std::string> central_name{};  // a different name in the central directory
  uint16_t flags = 0;                         // 0x800: name is UTF-8
  std::optional<size_t> reuse_local_of{};     // point the central entry at another local header
  uint16_t method = 0;                        // 8: `data` is already deflated
  std::optional<uint32_t> usize{};            // claimed uncompressed size (default: data.size())
};

void Put16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

std::string RawZip(const std::vector<RawEntry>& entries) {
  std::string out, central;
  std::vector<uint32_t> offsets;
  for (const RawEntry& e : entries) {
    const uint32_t crc = e.crc.value_or(Crc32(e.data));
    offsets.push_back(static_cast<uint32_t>(out.size()));
    Put32(&out, 0x04034b50);
    const uint32_t usize = e.usize.value_or(static_cast<uint32_t>(e.data.size()));
    for (uint32_t v : {20u, uint32_t{e.flags}, uint32_t{e.method}, 0u, 0x21u}) Put16(&out, v);
    for (uint32_t v : {crc, uint32_t(e.data.size()), usize}) Put32(&out, v);
    Put16(&out, static_cast<uint32_t>(e.name.size()));
    Put16(&out, 0);
    out += e.name + e.data;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const RawEntry& e = entries[i];
    const std::string name = e.central_name.value_or(e.name);
    Put32(&central, 0x02014b50);
    for (uint32_t v : {(3u << 8) | 20u, 20u, uint32_t{e.flags}, uint32_t{e.method}, 0u, 0x21u}) {
      Put16(&central, v);
    }
    Put32(&central, e.crc.value_or(Crc32(e.data)));
    Put32(&central, static_cast<uint32_t>(e.data.size()));
    Put32(&central, e.usize.value_or(static_cast<uint32_t>(e.data.size())));
    for (uint32_t v : {uint32_t(name.size()), 0u, 0u, 0u, 0u}) Put16(&central, v);
    Put32(&central, e.mode << 16);
    Put32(&central, offsets[e.reuse_local_of.value_or(i)]);
    central += name;
  }
  const auto cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  Put32(&out, 0x06054b50);
  for (uint32_t v : {0u, 0u, uint32_t(entries.size()), uint32_t(entries.size())}) Put16(&out, v);
  Put32(&out, static_cast<uint32_t>(central.size()));
  Put32(&out, cd_offset);
  Put16(&out, 0);
  return out;
}

// ---- Zips from libarchive's own writer (deflate), as real tools produce them ----



// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/kindling-store-XXXXXX";
    path_ = mkdtemp(tmpl.data());
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() { EXPECT_TRUE(RemoveTree(path_).ok()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every path below `dir`, relative to it, without following symlinks.
std::set<std::string> ListTree(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Extracts into <tmp>/l1/l2/l3/out, so a broken extractor climbing up to three levels would
// still land inside the temp dir, where `Escaped()` sees it.
class ZipExtractorTest : public ::testing::Test {
 protected:
  ZipExtractorTest() : out_(tmp_.path() + "/l1/l2/l3/out") { fs::create_directories(out_); }

  Status Extract(std::string_view zip, const ZipLimits& limits = {}) {
    return ExtractZip(zip, out_, limits, &stats_);
  }
  // Empties out_ again.
  void Reset() {
    ASSERT_TRUE(RemoveTree(out_).ok());
    fs::create_directories(out_);
  }
  // Paths created outside out_.
  std::set<std::string> Escaped() const {
    std::set<std::string> paths = ListTree(tmp_.path());
    std::set<std::string> stray;
    for (const auto& p : paths) {
      if (p != "l1" && p != "l1/l2" && p != "l1/l2/l3" && !p.starts_with("l1/l2/l3/out")) {
        stray.insert(p);
      }
    }
    return stray;
  }
  void ExpectRejected(const Status& st, std::string_view reason) {
    EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter) << st.ToString();
    EXPECT_TRUE(st.message().starts_with(kCouldNotUnzipMessage)) << st.message();
    EXPECT_NE(st.message().find(reason), std::string::npos) << st.message();
    EXPECT_EQ(Escaped(), std::set<std::string>{});
  }

  TempDir tmp_;
  std::string out_;
  ExtractStats stats_;
};

TEST_F(ZipExtractorTest, ExtractsNestedPackageReadOnlyKeepingExecBits) {
  std::string zip = RawZip({{.name = "bootstrap", .data = "#!/bin/sh\necho hi\n", .mode = 0100755},
                            {.name = "lib/", .data = "", .mode = 040755},
                            {.name = "lib/a/b.txt", .data = "nested", .mode = 0100666},
                            {.name = "./lib/c.txt", .data = "dot", .mode = 0104755}});
  ASSERT_TRUE(Extract(zip).ok()) << Extract(zip).ToString();
  EXPECT_EQ(ReadFile(out_ + "/bootstrap"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(ReadFile(out_ + "/lib/a/b.txt"), "nested");
  EXPECT_EQ(Mode(out_ + "/bootstrap"), 0555u);
  EXPECT_EQ(Mode(out_ + "/lib/a/b.txt"), 0444u);
  EXPECT_EQ(Mode(out_ + "/lib/c.txt"), 0555u);  // setuid dropped, x kept
  EXPECT_EQ(Mode(out_ + "/lib"), 0555u);
  EXPECT_EQ(Mode(out_ + "/lib/a"), 0555u);
  EXPECT_EQ(Mode(out_), 0555u);
  EXPECT_EQ(stats_.entries, 5);  // 3 files, lib/, implied lib/a/
  EXPECT_EQ(stats_.unzipped_bytes, 18 + 6 + 3);
}

TEST_F(ZipExtractorTest, ExtractsDeflatedZipFromARealWriter) {
  std::string big(300000, 'x');
  std::string zip = MakeZip({{.name = "bootstrap", .data = "#!/bin/sh\n", .perm = 0755},
                                   {.name = "src/", .type = AE_IFDIR, .perm = 0755},
                                   {.name = "src/big.txt", .data = big}});
  ASSERT_TRUE(Extract(zip).ok()) << Extract(zip).ToString();
  EXPECT_EQ(ReadFile(out_ + "/src/big.txt"), big);
  EXPECT_EQ(Mode(out_ + "/bootstrap"), 0555u);
  EXPECT_EQ(Mode(out_ + "/src/big.txt"), 0444u);
}

TEST_F(ZipExtractorTest, KeepsUtf8NamesByteForByte) {
  const std::string name = "h\xc3\xa9llo-\xe6\x97\xa5\xe6\x9c\xac.txt";
  ASSERT_TRUE(Extract(RawZip({{.name = name, .data = "u", .flags = 0x800}})).ok());
  EXPECT_EQ(ReadFile(out_ + "/" + name), "u");
}

TEST_F(ZipExtractorTest, RejectsUnsafeNames) {
  const std::string abs_target = tmp_.path() + "/abs";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"../../x", "escapes the package root"},
      {"a/../../x", "escapes the package root"},
      {"..", "escapes the package root"},
      {"./../x", "escapes the package root"},
      {"a/b/../../../x", "escapes the package root"},
      {"/etc/x", "absolute path"},
      {abs_target, "absolute path"},
      {"C:\\x", "backslash"},
      {"a\\..\\..\\x", "backslash"},
      {"C:x", "drive letter"},
      {std::string("a\0/../../x", 10), "control character"},
      {"a\nb", "control character"},
      {std::string(5000, 'n'), "longer than 4095 bytes"},
      {"d/" + std::string(256, 'c'), "longer than 255 bytes"},
  };
  for (const auto& [name, reason] : cases) {
    SCOPED_TRACE(name.substr(0, 40));
    Reset();
    ExpectRejected(
        Extract(RawZip({{.name = "ok.txt", .data = "fine"}, {.name = name, .data = "x"}})), reason);
  }
  EXPECT_FALSE(fs::exists(abs_target));
}

TEST_F(ZipExtractorTest, RejectsEscapingSymlinks) {
  const std::vector<std::pair<std::vector<RawEntry>, std::string>> cases = {
      {{{.name = "link", .data = "../../etc/passwd", .mode = 0120777}}, "outside the package"},
      {{{.name = "link", .data = "/etc/passwd", .mode = 0120777}}, "outside the package"},
      {{{.name = "a/b/link", .data = "../../../x", .mode = 0120777}}, "outside the package"},
      // a/b/up -> a, so "a/b/up/../.." would really be the root's parent.
      {{{.name = "a/b/up", .data = "..", .mode = 0120777},
        {.name = "x", .data = "a/b/up/../..", .mode = 0120777}},
       "'..' after a name"},
      // A symlink inside the tree is fine, but nothing may be written through it.
      {{{.name = "sub/", .mode = 040755},
        {.name = "link", .data = "sub", .mode = 0120777},
        {.name = "link/evil", .data = "x"}},
       "passes through a symlink"},
      {{{.name = "f", .data = "file"}, {.name = "f/g", .data = "x"}}, "passes through"},
  };
  for (const auto& [entries, reason] : cases) {
    SCOPED_TRACE(entries.back().name);
    TempDir fresh;
    std::string out = fresh.path() + "/out";
    fs::create_directories(out);
    Status st = ExtractZip(RawZip(entries), out, {}, nullptr);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
    EXPECT_NE(st.message().find(reason), std::string::npos) << st.message();
    EXPECT_FALSE(fs::exists(out + "/sub/evil"));
  }
}

TEST_F(ZipExtractorTest, AcceptsSymlinksThatStayInside) {
  ASSERT_TRUE(Extract(RawZip({{.name = "file", .data = "target"},
                              {.name = "sub/link", .data = "../file", .mode = 0120777},
                              {.name = "self", .data = "./sub//", .mode = 0120777}}))
                  .ok());
  EXPECT_EQ(fs::read_symlink(out_ + "/sub/link"), "../file");
  EXPECT_EQ(ReadFile(out_ + "/sub/link"), "target");
  EXPECT_EQ(stats_.unzipped_bytes, 6 + 7 + 7);
}

TEST_F(ZipExtractorTest, RejectsDuplicatesAndSpecialFiles) {
  const std::vector<std::pair<std::vector<RawEntry>, std::string>> cases = {
      {{{.name = "a.txt", .data = "1"}, {.name = "a.txt", .data = "2"}}, "more than once"},
      {{{.name = "a.txt", .data = "1"}, {.name = "./a.txt", .data = "2"}}, "more than once"},
      {{{.name = "d/", .mode = 040755}, {.name = "d", .data = "2"}}, "more than once"},
      {{{.name = "fifo", .mode = 010644}}, "device, FIFO or socket"},
      {{{.name = "tty", .mode = 020644}}, "device, FIFO or socket"},
  };
  for (const auto& [entries, reason] : cases) {
    SCOPED_TRACE(entries.back().name);
    TempDir fresh;
    std::string out = fresh.path() + "/out";
    fs::create_directories(out);
    Status st = ExtractZip(RawZip(entries), out, {}, nullptr);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
    EXPECT_NE(st.message().find(reason), std::string::npos) << st.message();
  }
}

// Total size of the regular files below `dir`.
int64_t BytesOnDisk(const std::string& dir) {
  int64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += static_cast<int64_t>(e.file_size());
  }
  return total;
}

TEST_F(ZipExtractorTest, StopsABombAtTheUnzippedLimit) {
  std::string zip = MakeZip({{.name = "zeros", .zeros = int64_t{300} << 20}});
  ASSERT_LT(zip.size(), 1u << 20);
  ZipLimits limits;
  limits.max_ratio = 1e12;  // isolate the size limit
  Status st = Extract(zip, limits);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(st.message(), "Unzipped size must be smaller than 262144000 bytes");
  EXPECT_LE(BytesOnDisk(out_), 262144000);
  EXPECT_EQ(Escaped(), std::set<std::string>{});
}

uint32_t Le32At(std::string_view s, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[off + i]);
  return v;
}

TEST_F(ZipExtractorTest, CountsInflatedBytesNotHeaderClaims) {
  // Lift the deflate stream of 40 MiB of zeros out of a real zip and repackage it with headers
  // (local and central alike) claiming it inflates to 1 KiB.
  std::string real = MakeZip({{.name = "zeros", .zeros = int64_t{40} << 20}});
  const size_t cd = Le32At(real, real.size() - 22 + 16);
  ASSERT_EQ(real.substr(cd, 4), "PK\x01\x02");
  const uint32_t crc = Le32At(real, cd + 16), csize = Le32At(real, cd + 20);
  ASSERT_EQ(Le32At(real, cd + 24), 40u << 20);
  const size_t data = 30 + (Le32At(real, 26) & 0xffff) + (Le32At(real, 28) & 0xffff);
  std::string zip = RawZip({{.name = "zeros",
                             .data = real.substr(data, csize),
                             .crc = crc,
                             .method = 8,
                             .usize = 1024}});
  ZipLimits limits;
  limits.max_unzipped_bytes = 10 << 20;
  limits.max_ratio = 1e12;
  Status st = Extract(zip, limits);
  EXPECT_EQ(st.message(), "Unzipped size must be smaller than 10485760 bytes");
  EXPECT_LE(BytesOnDisk(out_), 10 << 20);
}

TEST_F(ZipExtractorTest, RejectsHighCompressionRatio) {
  std::string zip = MakeZip({{.name = "zeros", .zeros = int64_t{40} << 20}});
  ExpectRejected(Extract(zip), "compression ratio above 200:1");
  EXPECT_LE(stats_.unzipped_bytes, 200 * static_cast<int64_t>(zip.size()) + (16 << 20));
  // Below the floor the ratio is not checked.
  TempDir fresh;
  ASSERT_TRUE(
      ExtractZip(MakeZip({{.name = "z", .zeros = 8 << 20}}), fresh.path(), {}, nullptr).ok());
}

TEST_F(ZipExtractorTest, RejectsTooManyEntries) {
  ZipLimits limits;
  limits.max_entries = 5;
  std::vector<RawEntry> six;
  for (int i = 0; i < 6; ++i) six.push_back({.name = "f" + std::to_string(i), .data = "x"});
  ExpectRejected(Extract(RawZip(six), limits), "more than 5 entries");
  // Implied parent directories count too: one entry, six objects.
  TempDir fresh;
  Status st =
      ExtractZip(RawZip({{.name = "a/b/c/d/e/f", .data = "x"}}), fresh.path(), limits, nullptr);
  EXPECT_NE(st.message().find("more than 5 entries"), std::string::npos) << st.message();
}

TEST_F(ZipExtractorTest, RejectsOversizedZipAsRequestTooLarge) {
  ZipLimits limits;
  limits.max_zipped_bytes = 100;
  Status st = Extract(RawZip({{.name = "f", .data = std::string(200, 'x')}}), limits);
  EXPECT_EQ(st.code(), ErrorCode::kRequestTooLarge);
  EXPECT_EQ(st.message(), "Zipped size must be smaller than 100 bytes");
}

TEST_F(ZipExtractorTest, RejectsCorruptAndTruncatedZips) {
  std::string noise(100000, '\0');
  uint32_t x = 1;
  for (char& c : noise) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
  std::string good = MakeZip({{.name = "a.txt", .data = noise}});
  ASSERT_TRUE(Extract(good).ok());
  std::string flipped = good;  // damage the middle of the (incompressible) data
  for (size_t i = 0; i < 20; ++i) flipped[50000 + i] = static_cast<char>(flipped[50000 + i] ^ 0x5a);
  const std::vector<std::string> bad = {
      "",
      "PK",
      "this is not a zip file at all, just some text that is long enough",
      good.substr(0, good.size() / 2),
      good.substr(0, good.size() - 1),
      flipped,
      RawZip({{.name = "crc.txt", .data = "data", .crc = 1234}}),
      RawZip({{.name = "a", .data = "x", .central_name = "b"}}),
      RawZip({{.name = "a", .data = "x"}, {.name = "a", .data = "x", .reuse_local_of = 0}}),
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(i);
    TempDir fresh;
    Status st = ExtractZip(bad[i], fresh.path(), {}, nullptr);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter);
    EXPECT_TRUE(st.message().starts_with(kCouldNotUnzipMessage)) << st.message();
  }
  Reset();
  EXPECT_NE(Extract(bad[8]).message().find("overlap"), std::string::npos);
}

TEST_F(ZipExtractorTest, AcceptsAnEmptyArchive) {
  ASSERT_TRUE(Extract(RawZip({})).ok());
  EXPECT_EQ(stats_.entries, 0);
}

TEST_F(ZipExtractorTest, RefusesANonEmptyDestination) {
  fs::create_directories(out_ + "/already");
  EXPECT_EQ(Extract(RawZip({{.name = "f", .data = "x"}})).code(), ErrorCode::kInternal);
}

TEST_F(ZipExtractorTest, DeepTreesExtractAndRemoveWithFewFds) {
  std::string deep;
  for (int i = 0; i < 1500; ++i) deep += "d/";
  ASSERT_TRUE(Extract(RawZip({{.name = deep + "leaf", .data = "x"}})).ok());
  EXPECT_EQ(stats_.entries, 1501);
  EXPECT_TRUE(RemoveTree(out_).ok());
  EXPECT_FALSE(fs::exists(out_));
  EXPECT_TRUE(RemoveTree(out_).ok());  // absent is fine
}

}  // namespace
}  // namespace kindling::store
