#include "util/symlink_rule.h"

#include "util/strings.h"

namespace kindling {

std::string SymlinkTargetProblem(std::string_view target, size_t depth, size_t max_bytes) {
  if (target.empty()) return "has an empty target";
  if (target.size() > max_bytes) return "has an invalid target";
  for (unsigned char c : target) {
    if (c < 0x20 || c == 0x7f || c == '\\') return "has an invalid target";
  }
  if (target[0] == '/') return "points outside the package";
  bool seen_name = false;
  size_t ups = 0;
  for (std::string_view part : Split(target, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (seen_name) return "has '..' after a name in its target";
      if (++ups > depth) return "points outside the package";
    } else {
      seen_name = true;
    }
  }
  return {};
}

}  // namespace kindling
