#include "cli/zip_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>

#include "util/strings.h"
#include "util/symlink_rule.h"

namespace kindling::cli {

namespace fs = std::filesystem;

namespace {

enum class Kind { kFile, kDirectory, kSymlink };

struct Item {
  std::string name;  // relative, '/'-separated; directories end in '/'
  Kind kind = Kind::kFile;
  fs::path path;
  bool executable = false;
  std::string link_target;
};

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};



Status IoError(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return Internal("cannot " + what + " " + path.string() + ": " + ec.message());
}

Status Walk(const fs::path& dir, const std::string& prefix, size_t depth, std::vector<Item>* items,
            std::vector<std::string>* warnings) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return IoError("read directory", dir, ec);
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = prefix + path.filename().string();
    const fs::file_status st = fs::symlink_status(path, ec);
    if (ec) return IoError("stat", path, ec);
    Item item{name, Kind::kFile, path, false, {}};
    if (fs::is_symlink(st)) {
      item.kind = Kind::kSymlink;
      item.link_target = fs::read_symlink(path, ec).string();
      if (ec) return IoError("read link", path, ec);
      std::string problem = SymlinkTargetProblem(item.link_target, depth);
      if (!problem.empty()) {
        warnings->push_back("skipping symlink " + name + " -> " + item.link_target + " (" +
                            problem + ")");
        continue;
      }
    } else if (fs::is_directory(st)) {
      item.kind = Kind::kDirectory;
      item.name += '/';
      KINDLING_RETURN_IF_ERROR(Walk(path, item.name, depth + 1, items, warnings));
    } else if (fs::is_regular_file(st)) {
      item.executable = (st.permissions() & (fs::perms::owner_exec | fs::perms::group_exec |
                                             fs::perms::others_exec)) != fs::perms::none;
    } else {
      warnings->push_back("skipping " + name + " (not a regular file, directory or symlink)");
      continue;
    }
    items->push_back(std::move(item));
  }
  if (ec) return IoError("read directory", dir, ec);
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return Internal("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Internal("cannot read " + path.string());
  return data;
}

la_ssize_t AppendToString(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

Status ArchiveError(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Internal("cannot zip " + what + ": " + (msg ? msg : "unknown libarchive error"));
}

// Writes one entry. No timestamps are set: libarchive then writes the zip's minimum DOS date
// (1980-01-01) and no extended-timestamp value, independent of the clock and the time zone.
Status WriteItem(archive* a, const Item& item) {
  std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
  archive_entry_copy_pathname(entry.get(), item.name.c_str());
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  std::string data;
  switch (item.kind) {
    case Kind::kDirectory:
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
      archive_entry_set_perm(entry.get(), 0755);
      archive_entry_set_size(entry.get(), 0);
      break;
    case Kind::kSymlink:
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_perm(entry.get(), 0777);
      archive_entry_copy_symlink(entry.get(), item.link_target.c_str());
      archive_entry_set_size(entry.get(), 0);
      break;
    case Kind::kFile: {
      KINDLING_ASSIGN_OR_RETURN(data, ReadFile(item.path));
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), item.executable ? 0755 : 0644);
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
      break;
    }
  }
  if (archive_write_header(a, entry.get()) < ARCHIVE_WARN) return ArchiveError(a, item.name);
  if (!data.empty() &&
      archive_write_data(a, data.data(), data.size()) != static_cast<la_ssize_t>(data.size())) {
    return ArchiveError(a, item.name);
  }
  if (archive_write_finish_entry(a) < ARCHIVE_WARN) return ArchiveError(a, item.name);
  return Status::Ok();
}

}  // namespace

Result<ZipOutput> ZipDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return InvalidParameter(dir + " is not a directory" + (ec ? ": " + ec.message() : ""));
  }
  ZipOutput out;
  std::vector<Item> items;
  KINDLING_RETURN_IF_ERROR(Walk(dir, "", 0, &items, &out.warnings));
  std::sort(items.begin(), items.end(),
            [](const Item& x, const Item& y) { return x.name < y.name; });
  std::sort(out.warnings.begin(), out.warnings.end());

  ScopedUtf8Locale utf8;
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK ||
      archive_write_zip_set_compression_deflate(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open(a.get(), &out.bytes, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), dir);
  }
  for (const Item& item : items) {
    KINDLING_RETURN_IF_ERROR(WriteItem(a.get(), item));
    ++out.entries;
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), dir);
  return out;
}

}  // namespace kindling::cli
