#include "store/zip_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <locale.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "util/strings.h"
#include "util/symlink_rule.h"
#include "util/unique_fd.h"

namespace kindling::store {
namespace {

constexpr size_t kMaxNameBytes = 4095;      // PATH_MAX - 1: a longer path cannot be passed to open
constexpr size_t kMaxComponentBytes = 255;  // NAME_MAX
constexpr size_t kQuoteMax = 200;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// `text` fit for an error message (which ends up in JSON): at most kQuoteMax bytes, and every
// byte outside printable ASCII escaped, so the message is valid UTF-8 whatever the input.
std::string Printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < kQuoteMax; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kQuoteMax) out += "...";
  return out;
}
std::string Quote(std::string_view name) { return "'" + Printable(name) + "'"; }

Status Unzippable(const std::string& reason) {
  return InvalidParameter(std::string(kCouldNotUnzipMessage) + " (" + reason + ")");
}
Status BadEntry(std::string_view name, const std::string& what) {
  return Unzippable("entry " + Quote(name) + " " + what);
}
Status IoError(const char* what, std::string_view name, int err) {
  return Internal(std::string(what) + " " + Quote(name) + ": " + ErrnoText(err));
}

bool HasControlByte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

// ---- Names ------------------------------------------------------------------------------------

// Checks an entry name and splits it into components ("." and empty components dropped).
Status ValidateName(std::string_view name, std::vector<std::string_view>* parts) {
  parts->clear();
  if (name.empty()) return Unzippable("an entry has an empty name");
  if (name.size() > kMaxNameBytes) {
    return BadEntry(name, "has a name longer than " + std::to_string(kMaxNameBytes) + " bytes");
  }
  if (HasControlByte(name)) return BadEntry(name, "has a control character in its name");
  if (name.find('\\') != std::string_view::npos) return BadEntry(name, "contains a backslash");
  if (name[0] == '/') return BadEntry(name, "is an absolute path");
  char c0 = static_cast<char>(name[0] | 0x20);
  if (name.size() >= 2 && c0 >= 'a' && c0 <= 'z' && name[1] == ':') {
    return BadEntry(name, "starts with a drive letter");
  }
  for (std::string_view part : Split(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return BadEntry(name, "escapes the package root");
    if (part.size() > kMaxComponentBytes) {
      return BadEntry(name, "has a path component longer than 255 bytes");
    }
    parts->push_back(part);
  }
  return Status::Ok();
}

// ---- First pass: the zip structure itself -----------------------------------------------------

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50, kZip64EocdSig = 0x06064b50;
constexpr uint32_t kSaturated32 = 0xffffffff;
constexpr uint64_t kUnixHost = 3;  // "version made by" high byte

// Little-endian reads; callers check bounds first.
uint64_t Le(std::string_view z, uint64_t off, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(z[off + i]);
  return v;
}

// Replaces saturated 32-bit fields with their values from the Zip64 extra field (id 0x0001).
bool ApplyZip64Extra(std::string_view extra, uint64_t* usize, uint64_t* csize, uint64_t* offset) {
  for (uint64_t p = 0; extra.size() - p >= 4;) {
    uint64_t id = Le(extra, p, 2), len = Le(extra, p + 2, 2);
    if (extra.size() - p - 4 < len) return false;
    if (id == 1) {
      uint64_t q = p + 4, end = q + len;
      for (uint64_t* field : {usize, csize, offset}) {
        if (*field != kSaturated32) continue;
        if (end - q < 8) return false;
        *field = Le(extra, q, 8);
        q += 8;
      }
      return true;
    }
    p += 4 + len;
  }
  return *usize != kSaturated32 && *csize != kSaturated32 && *offset != kSaturated32;
}

// Walks the central directory and every local header before libarchive inflates anything. Runs
// ValidateName on the raw names (NUL included, which libarchive's C strings would silently cut),
// and rejects device/FIFO/socket modes, local/central name mismatches, entries outside the file,
// overlapping entries (the overlap bomb) and archives listing more than max_entries entries.
// Returns the number of entries.
Result<uint64_t> ScanZipStructure(std::string_view z, const ZipLimits& limits) {
  if (z.size() < 22) return Unzippable("the file is too short to be a zip");
  // Like libarchive: the last end-of-central-directory record whose directory fits before it.
  uint64_t count = 0, cd_offset = 0, cd_size = 0;
  bool found = false;
  const uint64_t lowest = z.size() > 22 + 65535 ? z.size() - 22 - 65535 : 0;
  for (uint64_t i = z.size() - 22 + 1; i-- > lowest && !found;) {
    if (Le(z, i, 4) != kEocdSig) continue;
    uint64_t limit = i;
    count = Le(z, i + 10, 2);
    cd_size = Le(z, i + 12, 4);
    cd_offset = Le(z, i + 16, 4);
    if (i >= 20 && Le(z, i - 20, 4) == kZip64LocatorSig) {
      uint64_t off = Le(z, i - 20 + 8, 8);
      if (off > i - 20 || i - 20 - off < 56 || Le(z, off, 4) != kZip64EocdSig) continue;
      count = Le(z, off + 32, 8);
      cd_size = Le(z, off + 40, 8);
      cd_offset = Le(z, off + 48, 8);
      limit = off;
    }
    found = cd_offset <= limit && cd_size <= limit - cd_offset;
  }
  if (!found) return Unzippable("no zip central directory found");
  if (count > static_cast<uint64_t>(limits.max_entries)) {
    return Unzippable("more than " + std::to_string(limits.max_entries) + " entries");
  }
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [local header, end of data)
  ranges.reserve(count);
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t k = 0, p = cd_offset; k < count; ++k) {
    if (cd_end - p < 46 || Le(z, p, 4) != kCentralSig) {
      return Unzippable("damaged central directory");
    }
    uint64_t csize = Le(z, p + 20, 4), usize = Le(z, p + 24, 4), local = Le(z, p + 42, 4);
    uint64_t name_len = Le(z, p + 28, 2), extra_len = Le(z, p + 30, 2);
    uint64_t comment_len = Le(z, p + 32, 2);
    if (cd_end - p - 46 < name_len + extra_len + comment_len) {
      return Unzippable("damaged central directory");
    }
    std::string_view name = z.substr(p + 46, name_len);
    if (!ApplyZip64Extra(z.substr(p + 46 + name_len, extra_len), &usize, &csize, &local)) {
      return BadEntry(name, "has a damaged Zip64 extra field");
    }
    // Raw bytes, before libarchive rewrites anything (it turns '\\' into '/', FIFOs into files).
    std::vector<std::string_view> parts;
    KINDLING_RETURN_IF_ERROR(ValidateName(name, &parts));
    const uint64_t unix_type = (Le(z, p + 38, 4) >> 16) & S_IFMT;
    if (Le(z, p + 5, 1) == kUnixHost && unix_type != 0 && unix_type != S_IFREG &&
        unix_type != S_IFDIR && unix_type != S_IFLNK) {
      return BadEntry(name, "is a device, FIFO or socket");
    }
    if (local > cd_offset || cd_offset - local < 30 || Le(z, local, 4) != kLocalSig) {
      return BadEntry(name, "has no local header");
    }
    uint64_t local_name_len = Le(z, local + 26, 2), local_extra_len = Le(z, local + 28, 2);
    uint64_t data = local + 30 + local_name_len + local_extra_len;
    if (data > cd_offset || csize > cd_offset - data) {
      return BadEntry(name, "extends past the central directory");
    }
    if (z.substr(local + 30, local_name_len) != name) {
      return BadEntry(name, "has different names in its local and central headers");
    }
    ranges.emplace_back(local, data + csize);
    p += 46 + name_len + extra_len + comment_len;
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return Unzippable("entries overlap");
  }
  return count;
}

// The package's symlink rule (util/symlink_rule.h).
Status ValidateSymlinkTarget(std::string_view name, std::string_view target, size_t depth) {
  std::string problem = SymlinkTargetProblem(target, depth, kMaxNameBytes);
  if (problem.empty()) return Status::Ok();
  return BadEntry(name, "is a symlink that " + problem);
}

std::string JoinParts(const std::vector<std::string_view>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out;
}

// ---- Second pass: libarchive reads, we write ---------------------------------------------------

struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};


std::string ArchiveError(archive* a) {
  const char* e = archive_error_string(a);
  return e != nullptr ? Printable(e) : "unreadable zip";
}

class Extractor {
 public:
  Extractor(std::string_view zip, int root_fd, const ZipLimits& limits)
      : zip_(zip), root_fd_(root_fd), limits_(limits) {}

  Status Run(archive* a) {
    for (;;) {
      archive_entry* entry = nullptr;
      int r = archive_read_next_header(a, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) return Unzippable(ArchiveError(a));  // ARCHIVE_WARN included
      KINDLING_RETURN_IF_ERROR(ProcessEntry(a, entry));
    }
    return Finish();
  }

  Status Finish() {
    // Only now that every entry is in place can the directories become read-only.
    for (const std::string& dir : dirs_) {
      if (fchmodat(root_fd_, dir.c_str(), 0555, 0) != 0) return IoError("chmod", dir, errno);
    }
    if (fchmod(root_fd_, 0555) != 0) return IoError("chmod", ".", errno);
    return Status::Ok();
  }

  const ExtractStats& stats() const { return stats_; }

 private:
  Status ProcessEntry(archive* a, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) return Unzippable("an entry name cannot be decoded");
    std::string_view name(raw);
    std::vector<std::string_view> parts;
    KINDLING_RETURN_IF_ERROR(ValidateName(name, &parts));
    if (archive_entry_hardlink(entry) != nullptr) return BadEntry(name, "is a hard link");
    const auto type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      return BadEntry(name, "is a device, FIFO or socket");
    }
    if (name.back() == '/' && type != AE_IFDIR) return BadEntry(name, "is not a directory");
    if (!names_.insert(JoinParts(parts, parts.size())).second) {
      return BadEntry(name, "appears more than once");
    }
    if (parts.empty()) {  // "./": the root itself
      return type == AE_IFDIR ? Status::Ok() : BadEntry(name, "has an empty name");
    }
    KINDLING_ASSIGN_OR_RETURN(UniqueFd parent, OpenParent(parts, name));
    const std::string base(parts.back());
    if (type == AE_IFDIR) {
      struct stat st;
      if (fstatat(parent.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        // Already created as the parent of an earlier entry.
        return S_ISDIR(st.st_mode) ? Status::Ok() : BadEntry(name, "conflicts with another entry");
      }
      KINDLING_RETURN_IF_ERROR(CountObject());
      if (mkdirat(parent.get(), base.c_str(), 0755) != 0) return IoError("mkdir", name, errno);
      dirs_.push_back(JoinParts(parts, parts.size()));
      return Status::Ok();
    }
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr) return BadEntry(name, "is a symlink without a target");
      KINDLING_RETURN_IF_ERROR(ValidateSymlinkTarget(name, target, parts.size() - 1));
      KINDLING_RETURN_IF_ERROR(CountObject());
      KINDLING_RETURN_IF_ERROR(CountBytes(static_cast<int64_t>(std::strlen(target))));
      if (symlinkat(target, parent.get(), base.c_str()) != 0) {
        if (errno == EEXIST) return BadEntry(name, "conflicts with another entry");
        return IoError("symlink", name, errno);
      }
      return Status::Ok();
    }
    KINDLING_RETURN_IF_ERROR(CountObject());
    UniqueFd fd(openat(parent.get(), base.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
      if (errno == EEXIST) return BadEntry(name, "conflicts with another entry");
      return IoError("create", name, errno);
    }
    KINDLING_RETURN_IF_ERROR(CopyData(a, fd.get(), name));
    const bool exec = (archive_entry_perm(entry) & 0111) != 0;
    if (fchmod(fd.get(), exec ? 0555 : 0444) != 0) return IoError("chmod", name, errno);
    if (::close(fd.Release()) != 0) return IoError("close", name, errno);
    return Status::Ok();
  }

  // Opens the directory that will hold parts.back(), creating missing ancestors. No symlink is
  // ever followed and nothing outside the root can be reached.
  Result<UniqueFd> OpenParent(const std::vector<std::string_view>& parts, std::string_view name) {
    const size_t n = parts.size() - 1;
    if (n == 0) {
      UniqueFd dup(fcntl(root_fd_, F_DUPFD_CLOEXEC, 0));
      if (!dup) return IoError("dup", ".", errno);
      return dup;
    }
    // Fast path: one openat2 call when the directory already exists.
    const std::string rel = JoinParts(parts, n);
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    long fast = syscall(SYS_openat2, root_fd_, rel.c_str(), &how, sizeof how);
    if (fast >= 0) return UniqueFd(static_cast<int>(fast));
    if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV) {
      return BadEntry(name, "passes through a symlink or a file");
    }
    // Slow path (missing directories, or no openat2): one O_NOFOLLOW step per component.
    UniqueFd dir(fcntl(root_fd_, F_DUPFD_CLOEXEC, 0));
    if (!dir) return IoError("dup", ".", errno);
    for (size_t i = 0; i < n; ++i) {
      const std::string part(parts[i]);
      constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
      int next = openat(dir.get(), part.c_str(), kFlags);
      if (next < 0 && errno == ENOENT) {
        KINDLING_RETURN_IF_ERROR(CountObject());
        if (mkdirat(dir.get(), part.c_str(), 0755) != 0) return IoError("mkdir", name, errno);
        dirs_.push_back(JoinParts(parts, i + 1));
        next = openat(dir.get(), part.c_str(), kFlags);
      }
      if (next < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
          return BadEntry(name, "passes through a symlink or a file");
        }
        return IoError("open", name, errno);
      }
      dir.Reset(next);
    }
    return dir;
  }

  // Streams one entry's inflated bytes into fd, counting what actually comes out.
  Status CopyData(archive* a, int fd, std::string_view name) {
    int64_t written = 0;
    for (;;) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(a, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) return Status::Ok();
      if (r != ARCHIVE_OK) return Unzippable(ArchiveError(a));  // bad CRC arrives as WARN
      if (offset != written) return BadEntry(name, "has non-contiguous data");
      KINDLING_RETURN_IF_ERROR(CountBytes(static_cast<int64_t>(size)));
      const char* p = static_cast<const char*>(buf);
      for (size_t done = 0; done < size;) {
        ssize_t w = ::write(fd, p + done, size - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return IoError("write", name, errno);
        done += static_cast<size_t>(w);
      }
      written += static_cast<int64_t>(size);
    }
  }

  Status CountObject() {
    if (stats_.entries >= limits_.max_entries) {
      return Unzippable("more than " + std::to_string(limits_.max_entries) + " entries");
    }
    ++stats_.entries;
    return Status::Ok();
  }

  // Called before the bytes are written, so a bomb never gets past the limit on disk.
  Status CountBytes(int64_t n) {
    const int64_t total = stats_.unzipped_bytes + n;
    if (total > limits_.max_unzipped_bytes) {
      return InvalidParameter("Unzipped size must be smaller than " +
                              std::to_string(limits_.max_unzipped_bytes) + " bytes");
    }
    if (total > limits_.ratio_floor_bytes &&
        static_cast<double>(total) > limits_.max_ratio * static_cast<double>(zip_.size())) {
      char ratio[32];
      std::snprintf(ratio, sizeof ratio, "%g", limits_.max_ratio);
      return Unzippable(std::string("compression ratio above ") + ratio + ":1");
    }
    stats_.unzipped_bytes = total;
    return Status::Ok();
  }

  std::string_view zip_;
  int root_fd_;
  const ZipLimits& limits_;
  ExtractStats stats_;
  std::unordered_set<std::string> names_;  // normalised names seen, for duplicate detection
  std::vector<std::string> dirs_;          // directories created, relative to the root
};

Status CheckEmptyDir(int dir_fd, const std::string& path) {
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path, errno);
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return IoError("opendir", path, errno);
  }
  bool empty = true;
  while (dirent* de = readdir(d)) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") empty = false;
  }
  closedir(d);
  return empty ? Status::Ok() : Internal("extraction directory " + Quote(path) + " is not empty");
}

}  // namespace

Status ExtractZip(std::string_view zip, const std::string& dest_dir, const ZipLimits& limits,
                  ExtractStats* stats) {
  if (stats != nullptr) *stats = ExtractStats{};
  if (static_cast<int64_t>(zip.size()) > limits.max_zipped_bytes) {
    return Status(
        ErrorCode::kRequestTooLarge,
        "Zipped size must be smaller than " + std::to_string(limits.max_zipped_bytes) + " bytes");
  }
  if (zip.empty()) return Unzippable("the file is empty");
  UniqueFd root(open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return IoError("open", dest_dir, errno);
  KINDLING_RETURN_IF_ERROR(CheckEmptyDir(root.get(), dest_dir));
  KINDLING_ASSIGN_OR_RETURN(const uint64_t count, ScanZipStructure(zip, limits));
  Extractor extractor(zip, root.get(), limits);
  if (count == 0) return extractor.Finish();  // libarchive refuses empty archives; we need not

  ScopedUtf8Locale utf8;
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  if (a == nullptr) return Internal("archive_read_new failed");
  archive_read_support_format_zip_seekable(a.get());
  if (archive_read_open_memory(a.get(), zip.data(), zip.size()) != ARCHIVE_OK) {
    return Unzippable(ArchiveError(a.get()));
  }
  Status st = extractor.Run(a.get());
  if (stats != nullptr) *stats = extractor.stats();
  return st;
}

}  // namespace kindling::store
