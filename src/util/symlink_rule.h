// The one rule for symlinks inside a package, shared by the server's zip extractor (which
// enforces it) and the CLI's zip writer (which only packs links the server will accept).
//
// A target must be relative, and its ".." components must all come first and climb no higher
// than the package root from the link's directory (`depth` directories below the root). A ".."
// after a normal component would be resolved from wherever that component leads (maybe another
// symlink), so no lexical check could vouch for it; such targets are refused.
//
// Pure functions; thread-safe.
#pragma once

#include <locale.h>

#include <string>
#include <string_view>

namespace kindling {

// Why the link would be refused ("points outside the package", "has '..' after a name in its
// target", ...), or "" when it stays inside.
std::string SymlinkTargetProblem(std::string_view target, size_t depth,
                                 size_t max_bytes = 4095);

// Makes libarchive treat names as UTF-8 on this thread whatever the process locale is (in the
// "C" locale it would mangle non-ASCII names to '?'). uselocale is per thread.
class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale() : loc_(newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{})) {
    if (loc_ != locale_t{}) old_ = uselocale(loc_);
  }
  ~ScopedUtf8Locale() {
    if (loc_ == locale_t{}) return;
    uselocale(old_);
    freelocale(loc_);
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  locale_t loc_;
  locale_t old_ = locale_t{};
};

}  // namespace kindling
