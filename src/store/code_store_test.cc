#include "store/code_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "util/encoding.h"
#include "store/test_zip.h"

namespace kindling::store {
namespace {

using testing::MakeZip;
using testing::TestEntry;

namespace fs = std::filesystem;



std::string Package() {
  return MakeZip(
      {{.name = "bootstrap", .data = "#!/bin/sh\nexec ./handler\n", .perm = 0755},
       {.name = "lib/", .type = AE_IFDIR, .perm = 0755},
       {.name = "lib/python/mod.py", .data = "X = 1\n"},
       {.name = "lib/link.py", .type = AE_IFLNK, .perm = 0777, .symlink = "python/mod.py"}});
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

// The store lives at <tmp>/parent/code, so anything written beside the root shows up in
// <tmp>/parent and anything above it in <tmp>.
class CodeStoreTest : public ::testing::Test {
 protected:
  CodeStoreTest() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/kindling-code-XXXXXX";
    tmp_ = mkdtemp(tmpl.data());
    root_ = tmp_ + "/parent/code";
    auto store = CodeStore::Open(root_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (store.ok()) store_ = std::move(store.value());
  }
  ~CodeStoreTest() override {
    store_.reset();
    EXPECT_TRUE(RemoveTree(tmp_).ok());
  }

  std::set<std::string> Names(const std::string& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
  }
  // Nothing but the root itself anywhere, and nothing inside it.
  void ExpectUntouched() {
    EXPECT_EQ(Names(tmp_), std::set<std::string>{"parent"});
    EXPECT_EQ(Names(tmp_ + "/parent"), std::set<std::string>{"code"});
    EXPECT_EQ(Names(root_), std::set<std::string>{});
  }

  std::string tmp_, root_;
  std::unique_ptr<CodeStore> store_;
};

TEST_F(CodeStoreTest, PutStoresZipAndReadOnlyTree) {
  const std::string zip = Package();
  auto ref = store_->Put(zip);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->zip_size, static_cast<int64_t>(zip.size()));
  EXPECT_EQ(ref->dir, root_ + "/" + ref->sha256_hex);
  EXPECT_EQ(store_->DirFor(ref->sha256_hex), ref->dir);
  EXPECT_TRUE(store_->Has(ref->sha256_hex));
  EXPECT_EQ(Names(root_), (std::set<std::string>{ref->sha256_hex, ref->sha256_hex + ".zip"}));

  const std::string& dir = ref->dir;
  EXPECT_EQ(ReadFile(dir + "/bootstrap"), "#!/bin/sh\nexec ./handler\n");
  EXPECT_EQ(ReadFile(dir + "/lib/link.py"), "X = 1\n");
  EXPECT_EQ(Lstat(dir + "/bootstrap").st_mode & 07777, 0555u);
  EXPECT_EQ(Lstat(dir + "/lib/python/mod.py").st_mode & 07777, 0444u);
  EXPECT_EQ(Lstat(dir).st_mode & 07777, 0555u);
  EXPECT_EQ(Lstat(dir + "/lib").st_mode & 07777, 0555u);
  EXPECT_EQ(Lstat(dir + "/lib/python").st_mode & 07777, 0555u);
  EXPECT_TRUE(S_ISLNK(Lstat(dir + "/lib/link.py").st_mode));

  EXPECT_EQ(ReadFile(store_->ZipPathFor(ref->sha256_hex)), zip);
  auto read = store_->ReadZip(ref->sha256_hex);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, zip);
}

TEST_F(CodeStoreTest, CodeSha256IsBase64OfTheZipDigest) {
  const std::string zip = Package();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(zip.data()), zip.size(), digest);
  unsigned char b64[64] = {};
  EVP_EncodeBlock(b64, digest, SHA256_DIGEST_LENGTH);
  std::string hex;
  for (unsigned char c : digest) {
    char buf[3];
    snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  auto ref = store_->Put(zip);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->sha256_base64, reinterpret_cast<const char*>(b64));
  EXPECT_EQ(ref->sha256_base64.size(), 44u);
  EXPECT_EQ(ref->sha256_hex, hex);
}

TEST_F(CodeStoreTest, SecondPutOfTheSameBytesDoesNotExtractAgain) {
  const std::string zip = Package();
  auto first = store_->Put(zip);
  ASSERT_TRUE(first.ok());
  const struct stat dir_before = Lstat(first->dir);
  const struct stat file_before = Lstat(first->dir + "/bootstrap");
  auto second = store_->Put(zip);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->sha256_base64, first->sha256_base64);
  const struct stat dir_after = Lstat(first->dir);
  const struct stat file_after = Lstat(first->dir + "/bootstrap");
  EXPECT_EQ(dir_after.st_ino, dir_before.st_ino);
  EXPECT_EQ(file_after.st_ino, file_before.st_ino);
  EXPECT_EQ(file_after.st_ctim.tv_nsec, file_before.st_ctim.tv_nsec);
  EXPECT_EQ(file_after.st_ctim.tv_sec, file_before.st_ctim.tv_sec);
  EXPECT_EQ(Names(root_).size(), 2u);

  // A different package gets its own tree.
  auto other = store_->Put(MakeZip({{.name = "bootstrap", .data = "other", .perm = 0755}}));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->sha256_hex, first->sha256_hex);
  EXPECT_EQ(Names(root_).size(), 4u);
}

TEST_F(CodeStoreTest, RejectedPackagesLeaveNothingBehind) {
  std::string escaping_link =
      MakeZip({{.name = "ok", .data = "fine"},
               {.name = "evil", .type = AE_IFLNK, .perm = 0777, .symlink = "../../etc/passwd"}});
  std::string traversal = MakeZip({{.name = "ok", .data = "fine"}, {.name = "../x", .data = "x"}});
  std::string absolute =
      MakeZip({{.name = "ok", .data = "fine"}, {.name = tmp_ + "/abs", .data = "x"}});
  std::string truncated = Package();
  truncated.resize(truncated.size() / 2);
  std::string ratio_bomb =
      MakeZip({{.name = "ok", .data = "fine"}, {.name = "z", .zeros = 64 << 20}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {escaping_link, "points outside the package"},
      {traversal, "escapes the package root"},
      {absolute, "absolute path"},
      {truncated, ""},
      {"", "empty"},
      {ratio_bomb, "compression ratio"},
  };
  for (const auto& [zip, reason] : cases) {
    SCOPED_TRACE(reason);
    auto ref = store_->Put(zip);
    ASSERT_FALSE(ref.ok());
    EXPECT_EQ(ref.status().code(), ErrorCode::kInvalidParameter);
    EXPECT_TRUE(ref.status().message().starts_with(kCouldNotUnzipMessage));
    EXPECT_NE(ref.status().message().find(reason), std::string::npos) << ref.status().message();
    EXPECT_FALSE(store_->Has(HexEncode(Sha256(zip))));
    ExpectUntouched();
  }
  EXPECT_FALSE(fs::exists(tmp_ + "/abs"));
}

TEST_F(CodeStoreTest, RejectsABombWithTheUnzippedSizeMessage) {
  ZipLimits limits;
  limits.max_ratio = 1e12;  // so the size limit, not the ratio, is what trips
  auto store = CodeStore::Open(root_, limits);
  ASSERT_TRUE(store.ok());
  auto ref = (*store)->Put(MakeZip({{.name = "zeros", .zeros = int64_t{300} << 20}}));
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ref.status().message(), "Unzipped size must be smaller than 262144000 bytes");
  ExpectUntouched();
}

TEST_F(CodeStoreTest, OversizedZipIsRequestTooLarge) {
  ZipLimits limits;
  limits.max_zipped_bytes = 64;
  auto store = CodeStore::Open(root_, limits);
  ASSERT_TRUE(store.ok());
  auto ref = (*store)->Put(Package());
  EXPECT_EQ(ref.status().code(), ErrorCode::kRequestTooLarge);
  EXPECT_EQ(ref.status().message(), "Zipped size must be smaller than 64 bytes");
  ExpectUntouched();
}

TEST_F(CodeStoreTest, RemoveDeletesZipAndTreeAndIsIdempotent) {
  auto ref = store_->Put(Package());
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(store_->Remove(ref->sha256_hex).ok());
  EXPECT_FALSE(store_->Has(ref->sha256_hex));
  EXPECT_EQ(store_->ReadZip(ref->sha256_hex).status().code(), ErrorCode::kNotFound);
  ExpectUntouched();
  EXPECT_TRUE(store_->Remove(ref->sha256_hex).ok());
  auto again = store_->Put(Package());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(store_->Has(again->sha256_hex));
}

TEST_F(CodeStoreTest, ListsCommittedHashes) {
  auto a = store_->Put(MakeZip({{.name = "a.py", .data = "a = 1\n"}}));
  auto b = store_->Put(MakeZip({{.name = "b.py", .data = "b = 2\n"}}));
  ASSERT_TRUE(a.ok() && b.ok());
  auto listed = store_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(std::set<std::string>(listed->begin(), listed->end()),
            (std::set<std::string>{a->sha256_hex, b->sha256_hex}));
  ASSERT_TRUE(store_->Remove(a->sha256_hex).ok());
  EXPECT_EQ(*store_->List(), std::vector<std::string>{b->sha256_hex});
}

TEST_F(CodeStoreTest, OpenSweepsLeftoversOfACrash) {
  auto kept = store_->Put(Package());
  ASSERT_TRUE(kept.ok());
  // A half-extracted staging tree (read-only, as extraction leaves it), a temporary zip, and a
  // zip whose tree was never committed.
  fs::create_directories(root_ + "/.staging-0123/a/b");
  std::ofstream(root_ + "/.staging-0123/a/b/f") << "partial";
  chmod((root_ + "/.staging-0123/a/b").c_str(), 0555);
  chmod((root_ + "/.staging-0123/a").c_str(), 0555);
  std::ofstream(root_ + "/.staging-4567.zip") << "partial zip";
  const std::string orphan(64, 'a');
  std::ofstream(root_ + "/" + orphan + ".zip") << "orphan";
  std::ofstream(root_ + "/unrelated") << "kept";

  auto reopened = CodeStore::Open(root_ + "/");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(Names(root_),
            (std::set<std::string>{kept->sha256_hex, kept->sha256_hex + ".zip", "unrelated"}));
  EXPECT_TRUE((*reopened)->Has(kept->sha256_hex));
  EXPECT_EQ((*reopened)->DirFor(kept->sha256_hex), kept->dir);
}

TEST_F(CodeStoreTest, BadHashesNeverBecomePaths) {
  EXPECT_FALSE(store_->Has("../../etc"));
  EXPECT_FALSE(store_->Has(std::string(64, 'A')));  // upper case is not a key
  EXPECT_EQ(store_->ReadZip("../x").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->Remove("../x").code(), ErrorCode::kInvalidParameter);
  EXPECT_DEATH((void)store_->DirFor("../etc"), "bad code hash");
}

int OpenFdCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(CodeStoreTest, DoesNotLeakFileDescriptors) {
  const int before = OpenFdCount();
  for (int i = 0; i < 20; ++i) {
    auto ref = store_->Put(MakeZip({{.name = "f" + std::to_string(i), .data = "x"}}));
    ASSERT_TRUE(ref.ok());
    ASSERT_TRUE(store_->Put(MakeZip({{.name = "f" + std::to_string(i), .data = "x"}})).ok());
    ASSERT_TRUE(store_->ReadZip(ref->sha256_hex).ok());
    ASSERT_FALSE(store_->Put(MakeZip({{.name = "a/b/../../../x", .data = "x"}})).ok());
    ASSERT_FALSE(store_->Put("PK\x03\x04 garbage").ok());
    ASSERT_TRUE(store_->Remove(ref->sha256_hex).ok());
  }
  EXPECT_EQ(OpenFdCount(), before);
  ExpectUntouched();
}

TEST_F(CodeStoreTest, HasIsSafeFromOtherThreadsDuringPut) {
  const std::string zip = Package();
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) (void)store_->Has(std::string(64, '0'));
  });
  auto ref = store_->Put(zip);
  done = true;
  reader.join();
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE(store_->Has(ref->sha256_hex));
}

}  // namespace
}  // namespace kindling::store
