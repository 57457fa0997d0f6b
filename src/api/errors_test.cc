#include "api/errors.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace kindling::api {
namespace {

namespace json = boost::json;

json::object Body(const http::Response& r) { return json::parse(r.body()).as_object(); }

TEST(Errors, NotFoundUsesCapitalMessageAndType) {
  auto r = ErrorResponse(NotFound("Function not found: x"), "rid");
  EXPECT_EQ(r.result_int(), 404u);
  EXPECT_EQ(r["x-amzn-ErrorType"], "ResourceNotFoundException");
  EXPECT_EQ(r["x-amzn-RequestId"], "rid");
  auto b = Body(r);
  EXPECT_EQ(b.at("Type"), "User");
  EXPECT_EQ(b.at("Message"), "Function not found: x");
}

TEST(Errors, SpecificNotFoundNamesKeepTheirShape) {
  auto r = ErrorResponse(Status(ErrorCode::kNotFound, "No Provisioned Concurrency Config found",
                                "ProvisionedConcurrencyConfigNotFoundException"),
                         "rid");
  EXPECT_EQ(r.result_int(), 404u);
  EXPECT_EQ(r["x-amzn-ErrorType"], "ProvisionedConcurrencyConfigNotFoundException");
  EXPECT_EQ(Body(r).at("message"), "No Provisioned Concurrency Config found");
}

TEST(Errors, InvalidParameterUsesLowercaseMessage) {
  auto r = ErrorResponse(InvalidParameter("bad"), "rid");
  EXPECT_EQ(r.result_int(), 400u);
  EXPECT_EQ(r["x-amzn-ErrorType"], "InvalidParameterValueException");
  EXPECT_EQ(Body(r).at("message"), "bad");
}

TEST(Errors, ValidationHasNoType) {
  auto b = Body(ErrorResponse(ValidationError("1 validation error detected"), "rid"));
  EXPECT_FALSE(b.contains("Type"));
  EXPECT_EQ(b.at("message"), "1 validation error detected");
}

TEST(Errors, ThrottleCarriesReason) {
  auto r = ErrorResponse(Status(ErrorCode::kThrottled, "Rate Exceeded.",
                                "ConcurrentInvocationLimitExceeded"),
                         "rid");
  EXPECT_EQ(r.result_int(), 429u);
  auto b = Body(r);
  EXPECT_EQ(b.at("Reason"), "ConcurrentInvocationLimitExceeded");
  EXPECT_EQ(b.at("message"), "Rate Exceeded.");
  EXPECT_EQ(b.at("Type"), "User");
}

TEST(Errors, ServiceErrorsAre500WithServiceType) {
  auto r = ErrorResponse(Unavailable("sandbox failed"), "rid");
  EXPECT_EQ(r.result_int(), 500u);
  EXPECT_EQ(r["x-amzn-ErrorType"], "ServiceException");
  EXPECT_EQ(Body(r).at("Type"), "Service");
}

TEST(Errors, StatusCodesPerFamily) {
  EXPECT_EQ(ErrorResponse(Conflict("c"), "r").result_int(), 409u);
  EXPECT_EQ(ErrorResponse(Status(ErrorCode::kPreconditionFailed, "p"), "r").result_int(), 412u);
  EXPECT_EQ(ErrorResponse(Status(ErrorCode::kRequestTooLarge, "t"), "r").result_int(), 413u);
  EXPECT_EQ(ErrorResponse(Status(ErrorCode::kAccessDenied, "a"), "r").result_int(), 403u);
}

}  // namespace
}  // namespace kindling::api
