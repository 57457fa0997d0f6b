// CodeStore: content-addressed storage of deployment packages under one root directory
// (normally <data-dir>/code). A package with SHA-256 <hex> is kept as
//   <root>/<hex>.zip   the uploaded bytes (served back by GetFunction's Code.Location)
//   <root>/<hex>/      the unpacked, read-only tree that sandboxes bind-mount as /var/task
// Each hash is unpacked once; functions and versions sharing code share one tree. The store does
// not track references: the caller decides when a hash is unused and calls Remove.
//
// Crash safety: Put extracts into <root>/.staging-<random>/, writes the zip to a temporary name
// (fsync, rename), flushes the tree (syncfs) and only then renames the tree into place, the commit
// point. Remove renames the tree away before deleting anything. Open sweeps leftover
// `.staging-*` entries and zips whose tree never got committed.
//
// Ownership: the store owns everything under root (and an fd on it); callers get paths they must
// treat as read-only and must not keep using a hash after asking to Remove it.
// Thread safety: Put and Remove are meant for the single control thread (they also serialise on
// an internal mutex). Has, DirFor, ZipPathFor and ReadZip are safe from any thread at any time:
// a tree appears and disappears by one atomic rename.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <string_view>

#include "store/zip_extractor.h"
#include "util/status.h"
#include "util/unique_fd.h"

namespace kindling::store {

struct CodeRef {
  std::string sha256_base64;  // CodeSha256 as Lambda reports it: base64(sha256(zip))
  std::string sha256_hex;     // lower-case hex of the same digest; the storage key
  int64_t zip_size = 0;       // CodeSize
  std::string dir;            // <root>/<hex>
};

class CodeStore {
 public:
  // Creates `root` if needed and removes leftovers of a crashed run.
  static Result<std::unique_ptr<CodeStore>> Open(std::string root, ZipLimits limits = {});

  CodeStore(const CodeStore&) = delete;
  CodeStore& operator=(const CodeStore&) = delete;

  // Stores a package and returns its reference. A second Put of the same bytes does no
  // extraction. Errors: those of ExtractZip (InvalidParameter with Lambda's message,
  // RequestTooLarge for an oversized zip), Internal for I/O failures. On failure nothing in the
  // store changes.
  Result<CodeRef> Put(std::string_view zip);

  // True if the tree for `sha256_hex` is committed. False for anything that is not 64 lower-case
  // hex digits.
  bool Has(const std::string& sha256_hex) const;

  // Paths for a hash, whether or not it is stored. `sha256_hex` must be 64 lower-case hex digits
  // (checked: a bad key here is a bug).
  std::string DirFor(const std::string& sha256_hex) const;
  std::string ZipPathFor(const std::string& sha256_hex) const;

  // The stored zip bytes. NotFound if the hash is not stored.
  Result<std::string> ReadZip(const std::string& sha256_hex) const;

  // Every committed hash in the store.
  Result<std::vector<std::string>> List() const;

  // Deletes the tree and zip of a hash no function references any more. Removing an absent hash
  // is OK (so a retry after a crash succeeds).
  Status Remove(const std::string& sha256_hex);

  const std::string& root() const { return root_; }

 private:
  CodeStore(std::string root, UniqueFd root_fd, ZipLimits limits);
  // Deletes .staging-* leftovers and zips without a committed tree.
  Status SweepLeftovers();
  // Writes <root>/<hex>.zip via a temporary file, fsync and rename.
  Status WriteZip(std::string_view zip, const std::string& hex);
  std::string StagingName() const;

  const std::string root_;
  const UniqueFd root_fd_;
  const ZipLimits limits_;
  std::mutex mutating_;  // held by Put and Remove
};

// Removes `path` and everything below it without following symlinks, making read-only
// directories writable first (works without root for trees this process owns). Uses a constant
// number of file descriptors however deep the tree is. A missing path is OK.
Status RemoveTree(const std::string& path);

}  // namespace kindling::store
