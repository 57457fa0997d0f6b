#include "util/strings.h"

#include <gtest/gtest.h>

namespace kindling {
namespace {

TEST(Strings, SplitKeepsEmptyFields) {
  auto p = Split("a::b", ':');
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], "a");
  EXPECT_EQ(p[1], "");
  EXPECT_EQ(p[2], "b");
}

TEST(Strings, PercentDecodeHandlesArnAndLatest) {
  EXPECT_EQ(*PercentDecode("arn%3Aaws%3Alambda"), "arn:aws:lambda");
  EXPECT_EQ(*PercentDecode("%24LATEST"), "$LATEST");
  EXPECT_FALSE(PercentDecode("%2").has_value());
  EXPECT_FALSE(PercentDecode("%zz").has_value());
  EXPECT_FALSE(PercentDecode("abc%").has_value());
}

TEST(Strings, PercentEncodeKeepsUnreserved) {
  EXPECT_EQ(PercentEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(PercentEncode("$LATEST:x y"), "%24LATEST%3Ax%20y");
}

TEST(Strings, ParseIntRejectsTrailingGarbage) {
  EXPECT_EQ(*ParseInt("42"), 42);
  EXPECT_EQ(*ParseInt("-7"), -7);
  EXPECT_FALSE(ParseInt("42x").has_value());
  EXPECT_FALSE(ParseInt("").has_value());
  EXPECT_FALSE(ParseInt("99999999999999999999999").has_value());
}

TEST(Strings, ParsesDurations) {
  EXPECT_EQ(*ParseDurationMillis("90s"), 90000);
  EXPECT_EQ(*ParseDurationMillis("15m"), 900000);
  EXPECT_EQ(*ParseDurationMillis("2h"), 7200000);
  EXPECT_EQ(*ParseDurationMillis("1d"), 86400000);
  EXPECT_EQ(*ParseDurationMillis("250ms"), 250);
  EXPECT_FALSE(ParseDurationMillis("m").has_value());
  EXPECT_FALSE(ParseDurationMillis("5w").has_value());
}

TEST(Strings, TrimAndCase) {
  EXPECT_EQ(Trim("  a b \r\n"), "a b");
  EXPECT_EQ(ToLower("X-Amz-Date"), "x-amz-date");
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_FALSE(EqualsIgnoreCase("Content-Type", "content-typ"));
}

}  // namespace
}  // namespace kindling
