// ZipExtractor: unpacks an untrusted deployment package (CreateFunction `Code.ZipFile`) into a
// directory, defending against zip slip, symlink tricks, zip bombs and corrupt archives
// (security-reliability.md §5 C1-C5).
//
// How it works: a first pass reads the zip's central directory and local headers itself and
// validates the raw entry names (libarchive would cut them at NUL and turn '\' into '/'), rejects
// device/FIFO/socket modes, local/central name mismatches, overlapping entries and too many
// entries. libarchive (seekable zip reader: the central directory is authoritative) then streams
// each entry; its view of every name and type is validated again. Parents are opened beneath
// dest_dir with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) (or an O_NOFOLLOW walk on old
// kernels); files are created with O_CREAT|O_EXCL|O_NOFOLLOW, and the bytes actually inflated are
// counted before they are written. Symlinks must stay inside the tree (see ValidateSymlinkTarget);
// hard links, devices, FIFOs, sockets and duplicate names are rejected. Nothing is ever chdir'ed,
// so extraction is safe in a multi-threaded process.
//
// The extracted tree is read-only: regular files 0444, or 0555 when the entry had any x bit
// (so `bootstrap` stays executable); directories, dest_dir included, 0555. Ownership, setuid,
// setgid, sticky bits and timestamps from the archive are ignored.
//
// Ownership: the caller owns dest_dir before and after; ExtractZip only borrows `zip`.
// Thread safety: free functions with no shared state; concurrent calls on different dest_dirs
// are fine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace kindling::store {

struct ZipLimits {
  int64_t max_zipped_bytes = 52428800;     // Lambda direct upload
  int64_t max_unzipped_bytes = 262144000;  // Lambda unzipped limit (250 MB)
  // Filesystem objects created: files, symlinks and directories, implied parents included.
  int64_t max_entries = 20000;
  double max_ratio = 200.0;              // reject when total inflated / zipped exceeds this...
  int64_t ratio_floor_bytes = 16 << 20;  // ...but only once more than this has been inflated
};

struct ExtractStats {
  int64_t entries = 0;         // filesystem objects created (as counted against max_entries)
  int64_t unzipped_bytes = 0;  // bytes written: file contents plus symlink targets
};

// The InvalidParameterValueException text Lambda returns for a package it cannot unpack.
inline constexpr std::string_view kCouldNotUnzipMessage =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

// Extracts `zip` into `dest_dir`, which must exist and be empty. On failure returns
// InvalidParameter with Lambda's message (plus a kindling reason in parentheses for unsafe or
// unreadable packages), RequestTooLarge when the zip itself is over max_zipped_bytes, or Internal
// for local I/O errors. Nothing is written outside dest_dir; on failure the caller removes it
// (RemoveTree in store/code_store.h copes with read-only trees). `stats` may be null.
Status ExtractZip(std::string_view zip, const std::string& dest_dir, const ZipLimits& limits,
                  ExtractStats* stats);

}  // namespace kindling::store
