#include "util/status.h"

#include <gtest/gtest.h>

namespace kindling {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidParameter("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KINDLING_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CarriesCodeMessageAndDetail) {
  Status s(ErrorCode::kThrottled, "Rate Exceeded.", "ConcurrentInvocationLimitExceeded");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kThrottled);
  EXPECT_EQ(s.detail(), "ConcurrentInvocationLimitExceeded");
  EXPECT_EQ(s.ToString(), "Throttled: Rate Exceeded.");
}

TEST(Result, PropagatesErrorsThroughAssignOrReturn) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  auto r = Half(3);
  EXPECT_DEATH((void)r.value(), "odd");
}

}  // namespace
}  // namespace kindling
