#include "cli/http_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cli/fake_lambda_server.h"
#include "cli/lambda_client.h"

namespace kindling::cli {
namespace {

using testing::CannedResponse;
using testing::FakeLambdaServer;
using testing::RecordedRequest;

TEST(ParseEndpointTest, HostPortAndPrefix) {
  auto ep = ParseEndpoint("http://127.0.0.1:9000");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, "9000");
  EXPECT_EQ(ep->prefix, "");
  EXPECT_EQ(ep->url, "http://127.0.0.1:9000");
  EXPECT_EQ(ep->HostHeader(), "127.0.0.1:9000");

  ep = ParseEndpoint("HTTP://lambda.local/base/path/");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "lambda.local");
  EXPECT_EQ(ep->port, "80");
  EXPECT_EQ(ep->prefix, "/base/path");
  EXPECT_EQ(ep->url, "HTTP://lambda.local/base/path");
  EXPECT_EQ(ep->HostHeader(), "lambda.local");

  ep = ParseEndpoint("http://[::1]:9001/");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, "9001");
  EXPECT_EQ(ep->prefix, "");
  EXPECT_EQ(ep->HostHeader(), "[::1]:9001");
}

TEST(ParseEndpointTest, RejectsWhatItCannotUse) {
  for (const char* bad : {"https://example.com", "127.0.0.1:9000", "", "http://", "http://:9000",
                          "http://host:", "http://host:0", "http://host:65536", "http://host:9x",
                          "http://user@host", "http://host/?a=b", "http://[::1", "ftp://x"}) {
    auto ep = ParseEndpoint(bad);
    EXPECT_FALSE(ep.ok()) << bad;
    if (!ep.ok()) {
      EXPECT_EQ(ep.status().code(), ErrorCode::kInvalidParameter);
      EXPECT_NE(ep.status().message().find("invalid endpoint"), std::string::npos);
    }
  }
  EXPECT_NE(ParseEndpoint("https://x").status().message().find("only http://"), std::string::npos);
}

http::Response Canned(unsigned status, std::string body, std::string type = {}) {
  http::Response res{static_cast<http::Status>(status), 11};
  if (!type.empty()) res.set("x-amzn-ErrorType", type);
  res.body() = std::move(body);
  return res;
}

TEST(ErrorFromResponseTest, ReadsTypeAndMessageLikeTheSdks) {
  Status s = ErrorFromResponse(Canned(
      404, R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:f"})",
      "ResourceNotFoundException"));
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.detail(), "ResourceNotFoundException");
  EXPECT_EQ(ErrorLine(s),
            "kindling: ResourceNotFoundException: Function not found: "
            "arn:aws:lambda:us-east-1:000000000000:function:f");

  s = ErrorFromResponse(Canned(400, R"({"message":"1 validation error detected"})",
                               "ValidationException:http://internal.amazon.com/coral/x"));
  EXPECT_EQ(ErrorLine(s), "kindling: ValidationException: 1 validation error detected");
  EXPECT_EQ(s.code(), ErrorCode::kInvalidParameter);

  // No header: the body's __type, namespace cut at '#'; `message` wins over `Message`.
  s = ErrorFromResponse(
      Canned(409, R"({"__type":"com.amazon#ResourceConflictException","message":"a","Message":"b"})"));
  EXPECT_EQ(ErrorLine(s), "kindling: ResourceConflictException: a");
  EXPECT_EQ(s.code(), ErrorCode::kConflict);

  // Not JSON at all: the status and the first line of the body.
  s = ErrorFromResponse(Canned(502, "<html>Bad gateway\nmore</html>"));
  EXPECT_EQ(ErrorLine(s), "kindling: HTTP 502: <html>Bad gateway");
  EXPECT_EQ(s.code(), ErrorCode::kInternal);

  // Empty body: the reason phrase; multi-line messages are flattened.
  s = ErrorFromResponse(Canned(429, "", "TooManyRequestsException"));
  EXPECT_EQ(ErrorLine(s), "kindling: TooManyRequestsException: Too Many Requests");
  s = ErrorFromResponse(Canned(500, R"({"Message":"line1\nline2"})", "ServiceException"));
  EXPECT_EQ(ErrorLine(s), "kindling: ServiceException: line1 line2");
}

TEST(HttpClientTest, SendsWithPrefixHostAndBody) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return CannedResponse{200, {{"X-Test", "yes"}}, "hello"};
  });
  auto ep = ParseEndpoint(server.url() + "/prefix/");
  ASSERT_TRUE(ep.ok());
  HttpClient client(*ep);
  http::Request req{http::bhttp::verb::post, "/a/b?c=d", 11};
  req.body() = "payload";
  auto res = client.Send(std::move(req));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), "hello");
  EXPECT_EQ((*res)["X-Test"], "yes");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/prefix/a/b?c=d");
  EXPECT_EQ(seen[0].Header("host"), ep->HostHeader());
  EXPECT_EQ(seen[0].Header("content-length"), "7");
  EXPECT_EQ(seen[0].body, "payload");
}

TEST(HttpClientTest, ConnectionRefusedIsOneClearLine) {
  const std::string url = testing::UnusedLocalUrl();
  HttpClient client(*ParseEndpoint(url));
  auto res = client.Send(http::Request{http::bhttp::verb::get, "/", 11});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorLine(res.status()), "kindling: cannot reach kindling at " + url +
                                         ": Connection refused");
}

TEST(HttpClientTest, ReadTimeout) {
  // A server that answers after the client has given up.
  FakeLambdaServer server([](const RecordedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return CannedResponse{200, {}, "late"};
  });
  HttpClientOptions options;
  options.io_timeout = std::chrono::milliseconds(200);
  HttpClient client(*ParseEndpoint(server.url()), options);
  auto res = client.Send(http::Request{http::bhttp::verb::get, "/", 11});
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("no complete response after 1 s"), std::string::npos)
      << res.status().message();
}

}  // namespace
}  // namespace kindling::cli
