#include "kindling/runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fake_runtime_api.h"

namespace kindling::runtime {
namespace {

using testing::FakeRuntimeApi;
using testing::RecordedRequest;
using testing::Reply;

constexpr char kNext[] = "/2018-06-01/runtime/invocation/next";

// A /next reply framed by Content-Length; `extra` holds further header lines ("Name: v\r\n").
std::string NextHead(const std::string& id, const std::string& extra = "") {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
  head += "Lambda-Runtime-Aws-Request-Id: " + id + "\r\n";
  head += "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n";
  return head + extra;
}
Reply Next(const std::string& id, const std::string& body, const std::string& extra = "") {
  return {
      {NextHead(id, extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body}};
}
Reply Accepted() {
  return {
      {"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
       "{\"status\":\"OK\"}"}};
}
Reply Status(int code) {
  return {{"HTTP/1.1 " + std::to_string(code) + " Oops\r\nContent-Length: 2\r\n\r\n{}"}};
}

// Points the library at `api`, runs the loop to its end and waits for the server.
int RunAgainst(FakeRuntimeApi& api, const Handler& handler) {
  EXPECT_TRUE(api.ok());
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  api.Start();
  int rc = runtime::Run(handler);
  api.Join();
  return rc;
}

Response Ok(const Invocation&) { return Response::Json(R"({"ok":true})"); }

TEST(CppRuntime, PostsSuccessBodyToResponsePathOverOneConnection) {
  FakeRuntimeApi api({Next("req-1", R"({"name":"Ada"})"), Accepted(),
                      Next("req-2", R"({"name":"Bob"})"), Accepted(), Status(500)});
  std::vector<std::string> payloads;
  int rc = RunAgainst(api, [&](const Invocation& inv) {
    payloads.push_back(inv.payload);
    return Response::Json(R"({"greeting":"hi )" + std::to_string(payloads.size()) + "\"}");
  });
  EXPECT_NE(rc, 0);
  EXPECT_THAT(payloads, ::testing::ElementsAre(R"({"name":"Ada"})", R"({"name":"Bob"})"));
  const std::vector<RecordedRequest>& reqs = api.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].path, kNext);
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].path, "/2018-06-01/runtime/invocation/req-1/response");
  EXPECT_EQ(reqs[1].body, R"({"greeting":"hi 1"})");
  EXPECT_EQ(reqs[1].Header("content-type"), "application/json");
  EXPECT_EQ(reqs[1].Header("lambda-runtime-function-error-type"), "");
  EXPECT_EQ(reqs[3].path, "/2018-06-01/runtime/invocation/req-2/response");
  EXPECT_EQ(reqs[3].body, R"({"greeting":"hi 2"})");
  EXPECT_EQ(reqs[4].path, kNext);
  EXPECT_EQ(api.connections(), 1);  // keep-alive
}

TEST(CppRuntime, ExposesInvocationHeadersAndEnvironment) {
  ::setenv("AWS_LAMBDA_FUNCTION_NAME", "fn", 1);
  ::setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256", 1);
  ::setenv("_HANDLER", "main.handler", 1);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t deadline =
      std::chrono::duration_cast<std::chrono::milliseconds>(now).count() + 60000;
  const std::string extra =
      "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:fn\r\n"
      "lambda-runtime-trace-id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1\r\n"
      "Lambda-Runtime-Client-Context: {\"custom\":{\"k\":\"v\"}}\r\n"
      "Lambda-Runtime-Cognito-Identity:{\"cognitoIdentityId\":\"id\"}\r\n"
      "Lambda-Runtime-Aws-Tenant-Id: tenant-7\r\n";
  std::string head = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\n";
  head += "Lambda-Runtime-Deadline-Ms: " + std::to_string(deadline) + "\r\n" + extra;
  FakeRuntimeApi api({{{head + "Content-Length: 2\r\n\r\n{}"}},
                      Accepted(),
                      Next("no-trace", "{}"),
                      Accepted(),
                      Status(500)});
  std::vector<Invocation> seen;
  std::vector<std::optional<std::string>> trace_env;
  std::chrono::milliseconds remaining{0};
  FunctionConfig config;  // inv.function points into Run(): copy it while the handler runs
  RunAgainst(api, [&](const Invocation& inv) {
    seen.push_back(inv);
    if (inv.function != nullptr) config = *inv.function;
    const char* env = std::getenv("_X_AMZN_TRACE_ID");
    trace_env.push_back(env ? std::optional<std::string>(env) : std::nullopt);
    if (seen.size() == 1) remaining = inv.RemainingTime();
    return Ok(inv);
  });
  ASSERT_EQ(seen.size(), 2u);
  const Invocation& inv = seen[0];
  EXPECT_EQ(inv.request_id, "abc");
  EXPECT_EQ(inv.deadline_ms, deadline);
  EXPECT_GT(remaining.count(), 50000);
  EXPECT_LE(remaining.count(), 60000);
  EXPECT_EQ(inv.invoked_function_arn, "arn:aws:lambda:us-east-1:000000000000:function:fn");
  EXPECT_EQ(inv.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
  EXPECT_EQ(inv.client_context, R"({"custom":{"k":"v"}})");
  EXPECT_EQ(inv.cognito_identity, R"({"cognitoIdentityId":"id"})");
  EXPECT_EQ(inv.tenant_id, "tenant-7");
  EXPECT_EQ(inv.content_type, "");
  EXPECT_EQ(config.function_name, "fn");
  EXPECT_EQ(config.memory_size_mb, 256);
  EXPECT_EQ(config.handler, "main.handler");
  EXPECT_EQ(trace_env[0], inv.trace_id);
  EXPECT_EQ(seen[1].trace_id, "");
  EXPECT_EQ(seen[1].content_type, "application/json");
  EXPECT_EQ(trace_env[1], std::nullopt);  // not left over from the previous invoke
}

struct ValidationError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

TEST(CppRuntime, ThrownExceptionBecomesErrorNamedAfterItsType) {
  FakeRuntimeApi api({Next("r1", "{}"), Accepted(), Next("r2", "{}"), Accepted(), Next("r3", "{}"),
                      Accepted(), Status(500)});
  int calls = 0;
  RunAgainst(api, [&](const Invocation&) -> Response {
    ++calls;
    if (calls == 1) throw std::runtime_error("boom \"quoted\"");
    if (calls == 2) throw ValidationError("bad input");
    throw 42;
  });
  const std::vector<RecordedRequest>& reqs = api.requests();
  ASSERT_EQ(reqs.size(), 7u);
  EXPECT_EQ(reqs[1].path, "/2018-06-01/runtime/invocation/r1/error");
  EXPECT_EQ(reqs[1].Header("lambda-runtime-function-error-type"), "std::runtime_error");
  EXPECT_EQ(reqs[1].Header("content-type"), "application/json");
  EXPECT_EQ(reqs[1].body, R"({"errorMessage":"boom \"quoted\"","errorType":"std::runtime_error",)"
                          R"("stackTrace":[]})");
  const std::string custom = "kindling::runtime::(anonymous namespace)::ValidationError";
  EXPECT_EQ(reqs[3].path, "/2018-06-01/runtime/invocation/r2/error");
  EXPECT_EQ(reqs[3].Header("lambda-runtime-function-error-type"), custom);
  EXPECT_THAT(reqs[3].body, ::testing::HasSubstr(R"("errorType":")" + custom + "\""));
  EXPECT_EQ(reqs[5].path, "/2018-06-01/runtime/invocation/r3/error");
  EXPECT_EQ(reqs[5].Header("lambda-runtime-function-error-type"), "int");
}

TEST(CppRuntime, ExplicitErrorResponseIsPostedToErrorPath) {
  FakeRuntimeApi api({Next("r1", "{}"), Accepted(), Status(500)});
  RunAgainst(api, [](const Invocation&) {
    return Response::Error("Function.Validation\r\nX-Injected: 1", "line1\nline2\t\x01");
  });
  const std::vector<RecordedRequest>& reqs = api.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].path, "/2018-06-01/runtime/invocation/r1/error");
  EXPECT_EQ(reqs[1].Header("lambda-runtime-function-error-type"),
            "Function.ValidationX-Injected: 1");
  EXPECT_EQ(reqs[1].Header("x-injected"), "");
  EXPECT_EQ(reqs[1].body, R"({"errorMessage":"line1\nline2\t\u0001",)"
                          R"("errorType":"Function.Validation\r\nX-Injected: 1","stackTrace":[]})");
}

TEST(CppRuntime, RawResponseKeepsItsContentTypeAndOddRequestIdsAreEncoded) {
  FakeRuntimeApi api({Next("a/b c", "{}"), Accepted(), Status(500)});
  RunAgainst(api, [](const Invocation&) { return Response::Raw("plain", "text/plain"); });
  ASSERT_EQ(api.requests().size(), 3u);
  EXPECT_EQ(api.requests()[1].path, "/2018-06-01/runtime/invocation/a%2Fb%20c/response");
  EXPECT_EQ(api.requests()[1].Header("content-type"), "text/plain");
  EXPECT_EQ(api.requests()[1].body, "plain");
}

TEST(CppRuntime, DecodesChunkedRepliesSplitAcrossReads) {
  // Head, chunk-size lines (one with an extension), chunk data and trailer arrive in pieces.
  Reply chunked_next{{NextHead("c1", "Transfer-Encoding: chunked\r\n").substr(0, 30),
                      NextHead("c1", "Transfer-Encoding: chunked\r\n").substr(30) + "\r\n7",
                      ";ext=1\r\n{\"a\":", "1}\r\n", "3\r\n", "[2]\r\n0\r\nX-Trailer: t\r\n",
                      "\r\n"}};
  Reply chunked_accept{
      {"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
       "e\r\n{\"status\":\"OK\"\r\n1\r\n}\r\n0\r\n\r\n"}};
  FakeRuntimeApi api({chunked_next, chunked_accept, Next("c2", "[3]"), Accepted(), Status(500)});
  std::vector<std::string> payloads;
  RunAgainst(api, [&](const Invocation& inv) {
    payloads.push_back(inv.payload);
    return Ok(inv);
  });
  EXPECT_THAT(payloads, ::testing::ElementsAre(R"({"a":1}[2])", "[3]"));
  ASSERT_EQ(api.requests().size(), 5u);
  EXPECT_EQ(api.requests()[3].path, "/2018-06-01/runtime/invocation/c2/response");
  EXPECT_EQ(api.connections(), 1);
}

TEST(CppRuntime, ReadsLargeContentLengthBodySplitAcrossReads) {
  std::string big(200 * 1024, 'x');  // larger than the client's 64 KiB read buffer
  for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  std::string head = NextHead("big") + "Content-Length: " + std::to_string(big.size()) + "\r\n\r\n";
  Reply next{{head.substr(0, 10), head.substr(10) + big.substr(0, 100), big.substr(100, 70000),
              big.substr(70100)}};
  FakeRuntimeApi api({next, Accepted(), Status(500)});
  std::string seen;
  RunAgainst(api, [&](const Invocation& inv) {
    seen = inv.payload;
    return Response::Json("\"" + std::to_string(inv.payload.size()) + "\"");
  });
  EXPECT_EQ(seen, big);
  ASSERT_EQ(api.requests().size(), 3u);
  EXPECT_EQ(api.requests()[1].body, "\"204800\"");
}

TEST(CppRuntime, ReconnectsWhenTheServerAsksToClose) {
  Reply closing = Next("r1", "{}", "Connection: close\r\n");
  closing.close_after = true;
  FakeRuntimeApi api({closing, Accepted(), Status(500)});
  RunAgainst(api, Ok);
  ASSERT_EQ(api.requests().size(), 3u);
  EXPECT_EQ(api.requests()[1].path, "/2018-06-01/runtime/invocation/r1/response");
  EXPECT_EQ(api.connections(), 2);
}

TEST(CppRuntime, ExitsNonZeroOn500FromNext) {
  FakeRuntimeApi api({Status(500)});
  int calls = 0;
  int rc = RunAgainst(api, [&](const Invocation& inv) {
    ++calls;
    return Ok(inv);
  });
  EXPECT_NE(rc, 0);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(api.requests().size(), 1u);
}

TEST(CppRuntime, ExitsNonZeroWhenResponsePostIsRejected) {
  FakeRuntimeApi api({Next("r1", "{}"), Status(413), Next("r2", "{}"), Accepted(), Status(500)});
  int calls = 0;
  int rc = RunAgainst(api, [&](const Invocation& inv) {
    ++calls;
    return Ok(inv);
  });
  EXPECT_NE(rc, 0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(api.requests().size(), 2u);  // no /next after the 413
}

TEST(CppRuntime, ExitsNonZeroOnMalformedReplies) {
  const std::string id = "Lambda-Runtime-Aws-Request-Id: r1\r\n";
  const std::vector<std::string> malformed = {
      "HTTP/1.1 2x0 OK\r\n" + id + "Content-Length: 2\r\n\r\n{}",
      "ICY 200 OK\r\n" + id + "Content-Length: 2\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\n" + id + "No colon here\r\nContent-Length: 2\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\n" + id + "Content-Length: 2x\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\n" + id + "Transfer-Encoding: gzip\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\n" + id + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n" + id + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}x\r\n0\r\n\r\n",
  };
  for (const std::string& reply : malformed) {
    FakeRuntimeApi api({{{reply}}, Accepted(), Status(500)});
    int calls = 0;
    int rc = RunAgainst(api, [&](const Invocation& inv) {
      ++calls;
      return Ok(inv);
    });
    EXPECT_NE(rc, 0) << reply;
    EXPECT_EQ(calls, 0) << reply;
  }
}

TEST(CppRuntime, ExitsNonZeroWhenConnectionBreaksMidReply) {
  FakeRuntimeApi api({{{"HTTP/1.1 200 OK\r\nContent-Len"}, /*close_after=*/true}});
  int calls = 0;
  int rc = RunAgainst(api, [&](const Invocation& inv) {
    ++calls;
    return Ok(inv);
  });
  EXPECT_NE(rc, 0);
  EXPECT_EQ(calls, 0);
}

TEST(CppRuntime, ExitsNonZeroWithoutRequestId) {
  FakeRuntimeApi api({{{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"}}});
  int calls = 0;
  int rc = RunAgainst(api, [&](const Invocation& inv) {
    ++calls;
    return Ok(inv);
  });
  EXPECT_NE(rc, 0);
  EXPECT_EQ(calls, 0);
}

TEST(CppRuntime, ExitsNonZeroWithoutRuntimeApiAddress) {
  ::unsetenv("AWS_LAMBDA_RUNTIME_API");
  EXPECT_NE(runtime::Run(Ok), 0);
  ::setenv("AWS_LAMBDA_RUNTIME_API", "example.com:9001", 1);  // no DNS in static binaries
  EXPECT_NE(runtime::Run(Ok), 0);
}

TEST(CppRuntimeDeathTest, FailInitPostsInitErrorAndExits) {
  FakeRuntimeApi api({Accepted()});
  ASSERT_TRUE(api.ok());
  ::setenv("AWS_LAMBDA_RUNTIME_API", api.address().c_str(), 1);
  api.Start();  // serves the forked child below
  EXPECT_EXIT(FailInit("Runtime.ConfigError", "TABLE is \"unset\""), ::testing::ExitedWithCode(1),
              "init failed");
  api.Join();
  ASSERT_EQ(api.requests().size(), 1u);
  const RecordedRequest& req = api.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/2018-06-01/runtime/init/error");
  EXPECT_EQ(req.Header("lambda-runtime-function-error-type"), "Runtime.ConfigError");
  EXPECT_EQ(req.body, R"({"errorMessage":"TABLE is \"unset\"","errorType":"Runtime.ConfigError",)"
                      R"("stackTrace":[]})");
}

TEST(CppRuntime, JsonEscapeHandlesQuotesControlsAndUtf8) {
  EXPECT_EQ(JsonEscape("plain"), "plain");
  EXPECT_EQ(JsonEscape("a\"b\\c/"), "a\\\"b\\\\c/");
  EXPECT_EQ(JsonEscape("\b\f\n\r\t"), "\\b\\f\\n\\r\\t");
  EXPECT_EQ(JsonEscape(std::string("\x00\x1f", 2)), "\\u0000\\u001f");
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
  std::string out = "x=";
  AppendJsonEscaped("\"", &out);
  EXPECT_EQ(out, "x=\\\"");
}

}  // namespace
}  // namespace kindling::runtime
