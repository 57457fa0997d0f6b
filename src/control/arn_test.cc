#include "control/arn.h"

#include <gtest/gtest.h>

namespace kindling::control {
namespace {

Account A() { return Account{}; }

TEST(Arn, FormatsFunctionAndQualifiedArns) {
  EXPECT_EQ(FunctionArn(A(), "f"), "arn:aws:lambda:us-east-1:000000000000:function:f");
  EXPECT_EQ(QualifiedArn(A(), "f", "$LATEST"),
            "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST");
}

TEST(Arn, ParsesEveryNameForm) {
  struct Case {
    const char* in;
    const char* name;
    const char* qual;
  } cases[] = {
      {"my-fn", "my-fn", nullptr},
      {"my-fn:3", "my-fn", "3"},
      {"my-fn:$LATEST", "my-fn", "$LATEST"},
      {"000000000000:function:my-fn", "my-fn", nullptr},
      {"000000000000:function:my-fn:live", "my-fn", "live"},
      {"arn:aws:lambda:us-east-1:000000000000:function:my-fn", "my-fn", nullptr},
      {"arn:aws:lambda:us-east-1:000000000000:function:my-fn:7", "my-fn", "7"},
  };
  for (const auto& c : cases) {
    auto r = ParseFunctionName(c.in, std::nullopt, A(), QualifierRule::kAllowed);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(r->name, c.name) << c.in;
    EXPECT_EQ(r->qualifier.has_value(), c.qual != nullptr) << c.in;
    if (c.qual) {
      EXPECT_EQ(*r->qualifier, c.qual);
    }
  }
}

TEST(Arn, ExplicitQualifierMergesOrConflicts) {
  auto r = ParseFunctionName("f", std::string("2"), A(), QualifierRule::kAllowed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->qualifier, "2");
  auto same = ParseFunctionName("f:2", std::string("2"), A(), QualifierRule::kAllowed);
  EXPECT_TRUE(same.ok());
  auto diff = ParseFunctionName("f:2", std::string("3"), A(), QualifierRule::kAllowed);
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.status().code(), ErrorCode::kInvalidParameter);
  EXPECT_NE(diff.status().message().find("derived qualifier"), std::string::npos);
}

TEST(Arn, RejectsMalformedNames) {
  for (const char* bad : {"", "has space", "a:b:c", "f:$LATEST:x", "%2e%2e", "../etc",
                          "arn:aws:lambda:us-east-1:123:function:f",
                          "arn:aws:s3:us-east-1:000000000000:function:f"}) {
    auto r = ParseFunctionName(bad, std::nullopt, A(), QualifierRule::kAllowed);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kValidation) << bad;
  }
  auto too_long = ParseFunctionName(std::string(65, 'a'), std::nullopt, A(),
                                    QualifierRule::kAllowed);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("less than or equal to 64"), std::string::npos);
}

TEST(Arn, OtherRegionIsNotFoundAndOtherAccountIsDenied) {
  auto region = ParseFunctionName("arn:aws:lambda:eu-west-1:000000000000:function:f",
                                  std::nullopt, A(), QualifierRule::kAllowed);
  ASSERT_FALSE(region.ok());
  EXPECT_EQ(region.status().code(), ErrorCode::kNotFound);
  auto account = ParseFunctionName("arn:aws:lambda:us-east-1:111111111111:function:f",
                                   std::nullopt, A(), QualifierRule::kAllowed);
  ASSERT_FALSE(account.ok());
  EXPECT_EQ(account.status().code(), ErrorCode::kAccessDenied);
}

TEST(Arn, UnqualifiedOperationsRefuseQualifiers) {
  auto r = ParseFunctionName("f:1", std::nullopt, A(), QualifierRule::kForbidden);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameter);
}

TEST(Arn, AliasAndVersionNames) {
  EXPECT_TRUE(IsValidAliasName("live"));
  EXPECT_TRUE(IsValidAliasName("v2-blue"));
  EXPECT_FALSE(IsValidAliasName("123"));
  EXPECT_FALSE(IsValidAliasName(""));
  EXPECT_TRUE(IsVersionNumber("12"));
  EXPECT_FALSE(IsVersionNumber("012"));
  EXPECT_FALSE(IsVersionNumber("$LATEST"));
}

}  // namespace
}  // namespace kindling::control
