// Test helper (tests only): zips built with libarchive's writer from a list of entries.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace kindling::store::testing {

struct TestEntry {
  std::string name{};
  std::string data{};
  unsigned type = AE_IFREG;
  int perm = 0644;
  std::string symlink{};
  int64_t zeros = 0;  // appended after data: cheap bombs
};

// A deflated zip holding `entries`, in order.
inline std::string MakeZip(const std::vector<TestEntry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, "zip:compression=deflate");
  archive_write_set_bytes_per_block(a, 0);
  auto write_cb = [](archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  EXPECT_EQ(archive_write_open(a, &out, nullptr, write_cb, nullptr), ARCHIVE_OK);
  const std::string zeros(1 << 20, '\0');
  for (const TestEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    if (t.type == AE_IFLNK) archive_entry_set_symlink(e, t.symlink.c_str());
    if (t.type == AE_IFREG) {
      archive_entry_set_size(e, static_cast<int64_t>(t.data.size()) + t.zeros);
    }
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (!t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    for (int64_t left = t.zeros; left > 0; left -= static_cast<int64_t>(zeros.size())) {
      archive_write_data(a, zeros.data(), std::min<size_t>(zeros.size(), left));
    }
    archive_entry_free(e);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

}  // namespace kindling::store::testing
