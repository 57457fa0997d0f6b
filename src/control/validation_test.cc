#include "control/validation.h"

#include <gtest/gtest.h>

namespace kindling::control {
namespace {

TEST(Validation, CollectsEveryViolationInOneMessage) {
  ConfigInput c;
  c.timeout = 901;
  c.memory_size = 64;
  Validator v;
  ValidateConfigFields(c, &v);
  Status s = v.Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kValidation);
  EXPECT_EQ(s.message(),
            "2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900; Value '64' at 'memorySize' failed "
            "to satisfy constraint: Member must have value greater than or equal to 128");
}

TEST(Validation, RolePattern) {
  EXPECT_TRUE(IsValidRole("arn:aws:iam::123456789012:role/lambda-role"));
  EXPECT_FALSE(IsValidRole("r1"));
  EXPECT_FALSE(IsValidRole("arn:aws:iam::123:role/x"));
}

TEST(Validation, HandlerMustHaveNoWhitespace) {
  ConfigInput c;
  c.handler = "app handler";
  Validator v;
  ValidateConfigFields(c, &v);
  EXPECT_FALSE(v.Finish().ok());
}

TEST(Validation, EnvironmentOver4KBIsRejectedWithTheMeasuredString) {
  std::map<std::string, std::string> env{{"BIG", std::string(5000, 'x')}};
  Status s = CheckEnvironmentSize(env);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidParameter);
  EXPECT_NE(s.message().find("exceeded the 4KB limit. String measured: {\"BIG\":"),
            std::string::npos);
  EXPECT_TRUE(CheckEnvironmentSize({{"A", "1"}}).ok());
}

TEST(Validation, ReservedAndMalformedEnvironmentKeys) {
  EXPECT_EQ(CheckEnvironmentKeys({{"AWS_REGION", "x"}}).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(CheckEnvironmentKeys({{"1BAD", "x"}}).code(), ErrorCode::kValidation);
  EXPECT_TRUE(CheckEnvironmentKeys({{"MY_VAR", "x"}}).ok());
}

TEST(Validation, Tags) {
  EXPECT_TRUE(CheckTags({{"team", "a"}}).ok());
  EXPECT_FALSE(CheckTags({{"aws:x", "a"}}).ok());
  std::map<std::string, std::string> many;
  for (int i = 0; i < 51; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_FALSE(CheckTags(many).ok());
}

}  // namespace
}  // namespace kindling::control
