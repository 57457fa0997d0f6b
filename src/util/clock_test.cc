#include "util/clock.h"

#include <gtest/gtest.h>

namespace kindling {
namespace {

TEST(Clock, FormatsLambdaTimestamp) {
  EXPECT_EQ(FormatLambdaTimestamp(1586545592563), "2020-04-10T19:06:32.563+0000");
  EXPECT_EQ(FormatLambdaTimestamp(0), "1970-01-01T00:00:00.000+0000");
}

TEST(Clock, FormatsIso8601) {
  EXPECT_EQ(FormatIso8601(1551403425000, false), "2019-03-01T01:23:45Z");
  EXPECT_EQ(FormatIso8601(1551403425123, true), "2019-03-01T01:23:45.123Z");
}

TEST(Clock, FormatsLogStreamDate) { EXPECT_EQ(FormatLogStreamDate(1586545592563), "2020/04/10"); }

TEST(Clock, ManualClockAdvancesBothClocks) {
  ManualClock c(1000, 5);
  c.AdvanceMillis(3);
  EXPECT_EQ(c.WallMillis(), 1003);
  EXPECT_EQ(c.MonoNanos(), 3000005);
}

TEST(Clock, SystemMonotonicNeverGoesBack) {
  int64_t a = MonoNanosNow();
  int64_t b = MonoNanosNow();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace kindling
