#include "util/symlink_rule.h"

#include <gtest/gtest.h>

namespace kindling {
namespace {

TEST(SymlinkRule, InsideTargetsAreAccepted) {
  EXPECT_EQ(SymlinkTargetProblem("sibling.txt", 0), "");
  EXPECT_EQ(SymlinkTargetProblem("./dir/file", 0), "");
  EXPECT_EQ(SymlinkTargetProblem("../up-one", 1), "");
  EXPECT_EQ(SymlinkTargetProblem("../../a/b", 2), "");
}

TEST(SymlinkRule, EscapesAreRefusedWithAReason) {
  EXPECT_EQ(SymlinkTargetProblem("/etc/passwd", 3), "points outside the package");
  EXPECT_EQ(SymlinkTargetProblem("../x", 0), "points outside the package");
  EXPECT_EQ(SymlinkTargetProblem("../../x", 1), "points outside the package");
  EXPECT_EQ(SymlinkTargetProblem("a/../../x", 5), "has '..' after a name in its target");
  EXPECT_EQ(SymlinkTargetProblem("", 0), "has an empty target");
  EXPECT_EQ(SymlinkTargetProblem("a\\b", 0), "has an invalid target");
  EXPECT_EQ(SymlinkTargetProblem(std::string("a\nb"), 0), "has an invalid target");
  EXPECT_EQ(SymlinkTargetProblem(std::string(5000, 'a'), 0), "has an invalid target");
}

}  // namespace
}  // namespace kindling
