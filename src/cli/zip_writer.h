// ZipDirectory: packs a function's folder into a deployment zip for `kindling deploy`.
//
// The archive is reproducible: entries are sorted by name (bytewise), timestamps, owners and
// permission bits are normalized (files 0644, or 0755 when the file has any execute bit, so a
// `bootstrap` stays executable; directories 0755), so the same folder always yields the same
// bytes and therefore the same CodeSha256, whatever the clock, umask or time zone.
//
// Regular files and directories are stored recursively. A symlink is stored as a symlink when
// its target stays inside the folder under the rules the server's extractor enforces (relative,
// '..' only as leading components, never climbing above the folder); otherwise, like sockets,
// FIFOs and devices, it is skipped and a warning is returned. Symlinks are never followed.
//
// Thread safety: a free function with no shared state.
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace kindling::cli {

struct ZipOutput {
  std::string bytes;                  // the zip archive
  int entries = 0;                    // files, directories and symlinks stored
  std::vector<std::string> warnings;  // one line per skipped path, e.g. "skipping link -> /etc"
};

// Zips the contents of `dir` (entry names are relative to it, without a leading "./").
// Fails with InvalidParameter when `dir` is not a directory, Internal on I/O errors.
Result<ZipOutput> ZipDirectory(const std::string& dir);

}  // namespace kindling::cli
