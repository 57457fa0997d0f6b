#include "util/ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace kindling {
namespace {

TEST(Ids, UuidHasVersion4Shape) {
  std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) {
    auto u = NewUuid();
    EXPECT_TRUE(std::regex_match(u, re)) << u;
  }
}

TEST(Ids, UuidsAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(NewUuid());
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Ids, RandomHexHasRequestedLength) {
  EXPECT_EQ(RandomHex(16).size(), 32u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
}

}  // namespace
}  // namespace kindling
