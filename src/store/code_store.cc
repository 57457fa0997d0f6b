#include "store/code_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "util/check.h"
#include "util/encoding.h"
#include "util/ids.h"

namespace kindling::store {
namespace {

constexpr std::string_view kStagingPrefix = ".staging-";
constexpr std::string_view kZipSuffix = ".zip";

bool IsHexDigest(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status IoError(std::string_view what, std::string_view path, int err) {
  return Internal(std::string(what) + " " + std::string(path) + ": " +
                  std::error_code(err, std::generic_category()).message());
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  for (size_t done = 0; done < bytes.size();) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return IoError("write", path, errno);
    done += static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

CodeStore::CodeStore(std::string root, UniqueFd root_fd, ZipLimits limits)
    : root_(std::move(root)), root_fd_(std::move(root_fd)), limits_(limits) {}

Result<std::unique_ptr<CodeStore>> CodeStore::Open(std::string root, ZipLimits limits) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) return Internal("code store root is empty");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return Internal("creating " + root + ": " + ec.message());
  UniqueFd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return IoError("open", root, errno);
  std::unique_ptr<CodeStore> store(new CodeStore(std::move(root), std::move(fd), limits));
  KINDLING_RETURN_IF_ERROR(store->SweepLeftovers());
  return store;
}

Status CodeStore::SweepLeftovers() {
  int fd = openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd >= 0 ? fdopendir(fd) : nullptr;
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
    return IoError("opendir", root_, errno);
  }
  std::vector<std::string> staging, orphan_zips;
  while (dirent* de = readdir(d)) {
    std::string_view n = de->d_name;
    if (n.starts_with(kStagingPrefix)) {
      staging.emplace_back(n);
    } else if (n.ends_with(kZipSuffix) && IsHexDigest(n.substr(0, n.size() - kZipSuffix.size()))) {
      orphan_zips.emplace_back(n.substr(0, n.size() - kZipSuffix.size()));
    }
  }
  closedir(d);
  for (const std::string& name : staging) {
    KINDLING_RETURN_IF_ERROR(RemoveTree(root_ + "/" + name));
  }
  for (const std::string& hex : orphan_zips) {
    if (Has(hex)) continue;
    const std::string zip_name = hex + std::string(kZipSuffix);
    if (unlinkat(root_fd_.get(), zip_name.c_str(), 0) != 0 && errno != ENOENT) {
      return IoError("unlink", ZipPathFor(hex), errno);
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> CodeStore::List() const {
  int fd = openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd >= 0 ? fdopendir(fd) : nullptr;
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
    return IoError("opendir", root_, errno);
  }
  std::vector<std::string> out;
  while (dirent* de = readdir(d)) {
    std::string name = de->d_name;
    if (IsHexDigest(name) && Has(name)) out.push_back(std::move(name));
  }
  closedir(d);
  return out;
}

std::string CodeStore::StagingName() const { return std::string(kStagingPrefix) + RandomHex(8); }

bool CodeStore::Has(const std::string& sha256_hex) const {
  if (!IsHexDigest(sha256_hex)) return false;
  struct stat st;
  return fstatat(root_fd_.get(), sha256_hex.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISDIR(st.st_mode);
}

std::string CodeStore::DirFor(const std::string& sha256_hex) const {
  KCHECK(IsHexDigest(sha256_hex)) << "bad code hash '" << sha256_hex << "'";
  return root_ + "/" + sha256_hex;
}

std::string CodeStore::ZipPathFor(const std::string& sha256_hex) const {
  return DirFor(sha256_hex) + std::string(kZipSuffix);
}

Status CodeStore::WriteZip(std::string_view zip, const std::string& hex) {
  const std::string tmp = StagingName() + std::string(kZipSuffix);
  const std::string final_name = hex + std::string(kZipSuffix);
  UniqueFd fd(openat(root_fd_.get(), tmp.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
  if (!fd) return IoError("create", root_ + "/" + tmp, errno);
  Status st = WriteAll(fd.get(), zip, root_ + "/" + tmp);
  if (st.ok() && fsync(fd.get()) != 0) st = IoError("fsync", root_ + "/" + tmp, errno);
  if (st.ok() && ::close(fd.Release()) != 0) st = IoError("close", root_ + "/" + tmp, errno);
  if (st.ok() && renameat(root_fd_.get(), tmp.c_str(), root_fd_.get(), final_name.c_str()) != 0) {
    st = IoError("rename", root_ + "/" + tmp, errno);
  }
  if (!st.ok()) unlinkat(root_fd_.get(), tmp.c_str(), 0);
  return st;
}

Result<CodeRef> CodeStore::Put(std::string_view zip) {
  if (static_cast<int64_t>(zip.size()) > limits_.max_zipped_bytes) {
    return Status(
        ErrorCode::kRequestTooLarge,
        "Zipped size must be smaller than " + std::to_string(limits_.max_zipped_bytes) + " bytes");
  }
  const std::string digest = Sha256(zip);
  CodeRef ref;
  ref.sha256_base64 = Base64Encode(digest);
  ref.sha256_hex = HexEncode(digest);
  ref.zip_size = static_cast<int64_t>(zip.size());
  ref.dir = DirFor(ref.sha256_hex);
  const std::string& hex = ref.sha256_hex;

  std::lock_guard<std::mutex> lock(mutating_);
  struct stat st;
  const std::string zip_name = hex + std::string(kZipSuffix);
  const bool have_zip = fstatat(root_fd_.get(), zip_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISREG(st.st_mode) && st.st_size == ref.zip_size;
  if (Has(hex)) {  // already unpacked: at most restore a lost zip
    if (!have_zip) KINDLING_RETURN_IF_ERROR(WriteZip(zip, hex));
    return ref;
  }

  const std::string staging = StagingName();
  const std::string staging_path = root_ + "/" + staging;
  if (mkdirat(root_fd_.get(), staging.c_str(), 0755) != 0) {
    return IoError("mkdir", staging_path, errno);
  }
  Status status = ExtractZip(zip, staging_path, limits_, nullptr);
  bool wrote_zip = false;
  if (status.ok() && !have_zip) {
    status = WriteZip(zip, hex);
    wrote_zip = status.ok();
  }
  // Make the tree's contents durable before the rename publishes it.
  if (status.ok() && syncfs(root_fd_.get()) != 0) status = IoError("syncfs", root_, errno);
  if (status.ok() && renameat2(root_fd_.get(), staging.c_str(), root_fd_.get(), hex.c_str(),
                               RENAME_NOREPLACE) != 0) {
    status = IoError("rename", staging_path, errno);
  }
  if (!status.ok()) {
    if (wrote_zip) unlinkat(root_fd_.get(), zip_name.c_str(), 0);
    Status cleanup = RemoveTree(staging_path);  // a failure here is swept by the next Open
    (void)cleanup;
    return status;
  }
  if (fsync(root_fd_.get()) != 0) return IoError("fsync", root_, errno);
  return ref;
}

Result<std::string> CodeStore::ReadZip(const std::string& sha256_hex) const {
  if (!IsHexDigest(sha256_hex)) return NotFound("Code package not found: " + sha256_hex);
  const std::string name = sha256_hex + std::string(kZipSuffix);
  UniqueFd fd(openat(root_fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && errno == ENOENT) return NotFound("Code package not found: " + sha256_hex);
  if (!fd) return IoError("open", ZipPathFor(sha256_hex), errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return IoError("stat", ZipPathFor(sha256_hex), errno);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t r = pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return IoError("read", ZipPathFor(sha256_hex), errno);
    if (r == 0) return Internal("short read of " + ZipPathFor(sha256_hex));
    done += static_cast<size_t>(r);
  }
  return out;
}

Status CodeStore::Remove(const std::string& sha256_hex) {
  if (!IsHexDigest(sha256_hex)) return InvalidParameter("invalid code hash: " + sha256_hex);
  std::lock_guard<std::mutex> lock(mutating_);
  // Unpublish the tree first (one atomic rename), then delete at leisure.
  const std::string doomed = StagingName();
  bool moved = true;
  if (renameat(root_fd_.get(), sha256_hex.c_str(), root_fd_.get(), doomed.c_str()) != 0) {
    if (errno != ENOENT) return IoError("rename", DirFor(sha256_hex), errno);
    moved = false;
  }
  const std::string zip_name = sha256_hex + std::string(kZipSuffix);
  if (unlinkat(root_fd_.get(), zip_name.c_str(), 0) != 0 && errno != ENOENT) {
    return IoError("unlink", ZipPathFor(sha256_hex), errno);
  }
  if (fsync(root_fd_.get()) != 0) return IoError("fsync", root_, errno);
  return moved ? RemoveTree(root_ + "/" + doomed) : Status::Ok();
}

Status RemoveTree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::Ok() : IoError("stat", path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return unlink(path.c_str()) == 0 || errno == ENOENT ? Status::Ok()
                                                        : IoError("unlink", path, errno);
  }
  constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd cur(open(path.c_str(), kDirFlags));
  if (!cur) return IoError("open", path, errno);
  // Depth-first with one directory fd held at a time; `stack` names the way back up.
  std::vector<std::string> stack;
  for (;;) {
    (void)fchmod(cur.get(), 0700);  // read-only trees; a failure shows up in unlinkat below
    int fd = openat(cur.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // fresh readdir offset
    DIR* d = fd >= 0 ? fdopendir(fd) : nullptr;
    if (d == nullptr) {
      if (fd >= 0) ::close(fd);
      return IoError("opendir", path, errno);
    }
    std::string subdir;
    while (dirent* de = readdir(d)) {
      std::string_view n = de->d_name;
      if (n == "." || n == "..") continue;
      bool is_dir = de->d_type == DT_DIR;
      struct stat cst;
      if (de->d_type == DT_UNKNOWN &&
          fstatat(cur.get(), de->d_name, &cst, AT_SYMLINK_NOFOLLOW) == 0) {
        is_dir = S_ISDIR(cst.st_mode);
      }
      if (is_dir) {
        subdir = n;
        break;
      }
      if (unlinkat(cur.get(), de->d_name, 0) != 0 && errno != ENOENT) {
        Status err = IoError("unlink", n, errno);
        closedir(d);
        return err;
      }
    }
    closedir(d);
    if (!subdir.empty()) {
      UniqueFd child(openat(cur.get(), subdir.c_str(), kDirFlags));
      if (!child) return IoError("open", subdir, errno);
      stack.push_back(std::move(subdir));
      cur = std::move(child);
      continue;
    }
    if (stack.empty()) break;
    UniqueFd parent(openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent) return IoError("open", "..", errno);
    if (unlinkat(parent.get(), stack.back().c_str(), AT_REMOVEDIR) != 0) {
      return IoError("rmdir", stack.back(), errno);
    }
    stack.pop_back();
    cur = std::move(parent);
  }
  cur.Reset();
  if (rmdir(path.c_str()) != 0 && errno != ENOENT) return IoError("rmdir", path, errno);
  return Status::Ok();
}

}  // namespace kindling::store
