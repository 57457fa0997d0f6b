#include "api/wire.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kindling::api {
namespace {

namespace json = boost::json;

control::FunctionConfig Sample() {
  control::FunctionConfig c;
  c.name = "fn";
  c.runtime = "python3.11";
  c.handler = "app.handler";
  c.role = "arn:aws:iam::000000000000:role/r";
  c.code = {"abc=", "hex", 10};
  c.last_modified = "2020-04-10T19:06:32.563+0000";
  c.revision_id = "rev";
  c.log_group = "/aws/lambda/fn";
  return c;
}

TEST(Wire, LatestArnIsUnqualifiedInDetailAndQualifiedInVersionLists) {
  control::Account a;
  auto c = Sample();
  EXPECT_EQ(FunctionConfigJson(c, a, ConfigView::kDetail).at("FunctionArn"),
            "arn:aws:lambda:us-east-1:000000000000:function:fn");
  EXPECT_EQ(FunctionConfigJson(c, a, ConfigView::kListQualified).at("FunctionArn"),
            "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST");
  c.version = "3";
  EXPECT_EQ(FunctionConfigJson(c, a, ConfigView::kDetail).at("FunctionArn"),
            "arn:aws:lambda:us-east-1:000000000000:function:fn:3");
}

TEST(Wire, StateFieldsOnlyInDetailViews) {
  control::Account a;
  auto detail = FunctionConfigJson(Sample(), a, ConfigView::kDetail);
  auto list = FunctionConfigJson(Sample(), a, ConfigView::kList);
  EXPECT_EQ(detail.at("State"), "Active");
  EXPECT_EQ(detail.at("LastUpdateStatus"), "Successful");
  EXPECT_FALSE(list.contains("State"));
  EXPECT_FALSE(list.contains("LastUpdateStatus"));
  EXPECT_FALSE(list.contains("RuntimeVersionConfig"));
}

TEST(Wire, EnvironmentOnlyWhenConfigured) {
  control::Account a;
  auto c = Sample();
  EXPECT_FALSE(FunctionConfigJson(c, a, ConfigView::kDetail).contains("Environment"));
  c.environment = std::map<std::string, std::string>{};
  EXPECT_EQ(json::serialize(FunctionConfigJson(c, a, ConfigView::kDetail).at("Environment")),
            R"({"Variables":{}})");
}

TEST(Wire, ParsesCreateFunctionWithTypedFields) {
  auto body = ParseBody(R"({"FunctionName":"f","Role":"r","Runtime":"python3.11",
    "Handler":"a.b","Timeout":10,"MemorySize":256,"Code":{"ZipFile":"UEsFBg=="},
    "Environment":{"Variables":{"A":"1"}},"Publish":true,"Tags":{"t":"v"},
    "VpcConfig":{"SubnetIds":[]}})");
  ASSERT_TRUE(body.ok());
  auto in = ParseCreateFunction(*body);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->function_name, "f");
  EXPECT_EQ(*in->config.timeout, 10);
  EXPECT_EQ(*in->config.memory_size, 256);
  EXPECT_EQ(in->config.environment->at("A"), "1");
  EXPECT_TRUE(in->publish);
  EXPECT_EQ(in->zip_file->size(), 4u);
  EXPECT_EQ(in->tags.at("t"), "v");
  EXPECT_NE(in->config.passthrough_json.find("VpcConfig"), std::string::npos);
}

TEST(Wire, RejectsWrongTypesAndBadJson) {
  auto body = ParseBody(R"({"FunctionName":"f","Timeout":"ten","Code":{}})");
  ASSERT_TRUE(body.ok());
  auto in = ParseCreateFunction(*body);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), ErrorCode::kInvalidRequestContent);
  EXPECT_FALSE(ParseBody("{not json").ok());
  EXPECT_FALSE(ParseBody("[1,2]").ok());
  auto bad_zip = ParseBody(R"({"FunctionName":"f","Code":{"ZipFile":"%%%"}})");
  EXPECT_FALSE(ParseCreateFunction(*bad_zip).ok());
}

TEST(Wire, UnsupportedCodeSourcesAreReported) {
  auto body = ParseBody(R"({"FunctionName":"f","Code":{"S3Bucket":"b","S3Key":"k"}})");
  auto in = ParseCreateFunction(*body);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->unsupported_code_sources.size(), 2u);
}

TEST(Wire, JsonValidation) {
  std::string err;
  EXPECT_TRUE(IsValidJson("{}", &err));
  EXPECT_TRUE(IsValidJson("\"str\"", &err));
  EXPECT_TRUE(IsValidJson(" [1, 2.5, null, true] ", &err));
  EXPECT_FALSE(IsValidJson("{", &err));
  EXPECT_FALSE(IsValidJson("hello", &err));
  EXPECT_FALSE(IsValidJson("{} {}", &err));
  EXPECT_FALSE(IsValidJson(std::string(100000, '['), &err));  // nesting bomb
  EXPECT_TRUE(IsValidJson(std::string(500, '[') + std::string(500, ']'), &err));
}

TEST(Wire, AliasWithRouting) {
  control::AliasConfig a;
  a.name = "live";
  a.function_version = "1";
  a.additional_weights["2"] = 0.25;
  auto o = AliasJson(a, "fn", control::Account{});
  EXPECT_EQ(o.at("AliasArn"), "arn:aws:lambda:us-east-1:000000000000:function:fn:live");
  EXPECT_EQ(o.at("RoutingConfig").at("AdditionalVersionWeights").at("2").as_double(), 0.25);
}

}  // namespace
}  // namespace kindling::api
