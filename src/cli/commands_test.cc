// The client commands against an in-process fake Lambda server (canned responses), plus the
// command-line parsing done by RegisterClientCommands.
#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/client_commands.h"
#include "cli/commands.h"
#include "cli/fake_lambda_server.h"
#include "util/encoding.h"

namespace kindling::cli {
namespace {

namespace json = boost::json;
using testing::CannedResponse;
using testing::FakeLambdaServer;
using testing::RecordedRequest;

struct Streams {
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Io io() { return Io{&in, &out, &err}; }
};

// Parses `args` (after the program name) into a fresh app and runs the chosen command.
// Returns its exit status; CLI11 parse errors propagate as exceptions.
int RunCli(const std::vector<std::string>& args, Streams& s) {
  CLI::App app("kindling");
  int exit_code = -1;
  RegisterClientCommandsWithIo(app, &exit_code, s.io());
  std::vector<const char*> argv{"kindling"};
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return exit_code;
}

CannedResponse JsonOk(int status, const json::value& v) {
  return {status, {{"Content-Type", "application/json"}}, json::serialize(v)};
}

const char kNotFoundBody[] =
    R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"})";
const char kNotFoundLine[] =
    "kindling: ResourceNotFoundException: Function not found: "
    "arn:aws:lambda:us-east-1:000000000000:function:nope\n";

// ---- invoke ----

TEST(InvokeTest, PrintsBodyAndSendsEmptyObjectByDefault) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return CannedResponse{200, {{"X-Amz-Executed-Version", "$LATEST"}}, R"({"ok":true})"};
  });
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "hello", "--endpoint", server.url()}, s), 0);
  EXPECT_EQ(s.out.str(), "{\"ok\":true}\n");
  EXPECT_EQ(s.err.str(), "");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/2015-03-31/functions/hello/invocations");
  EXPECT_EQ(reqs[0].body, "{}");
  EXPECT_EQ(reqs[0].Header("x-amz-log-type"), "");
  EXPECT_EQ(reqs[0].Header("x-amz-invocation-type"), "");
}

TEST(InvokeTest, EncodesNameAndQualifierAndSendsPayload) {
  FakeLambdaServer server([](const RecordedRequest& r) { return CannedResponse{200, {}, r.body}; });
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "arn:aws:lambda:us-east-1:000000000000:function:f", R"({"a":1})",
                    "--qualifier", "$LATEST", "--endpoint", server.url()},
                   s),
            0);
  EXPECT_EQ(s.out.str(), "{\"a\":1}\n");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af"
            "/invocations?Qualifier=%24LATEST");
}

TEST(InvokeTest, DashReadsPayloadFromStdin) {
  FakeLambdaServer server([](const RecordedRequest& r) { return CannedResponse{200, {}, r.body}; });
  Streams s;
  s.in.str(R"({"from":"stdin"})");
  EXPECT_EQ(RunCli({"invoke", "f", "-", "--endpoint", server.url()}, s), 0);
  EXPECT_EQ(server.requests().at(0).body, R"({"from":"stdin"})");
}

TEST(InvokeTest, TailDecodesLogToStderr) {
  const std::string log = "START RequestId: r1 Version: $LATEST\nhi\nEND RequestId: r1\n";
  FakeLambdaServer server([&](const RecordedRequest&) {
    return CannedResponse{200, {{"X-Amz-Log-Result", Base64Encode(log)}}, "null"};
  });
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "f", "--tail", "--endpoint", server.url()}, s), 0);
  EXPECT_EQ(s.out.str(), "null\n");
  EXPECT_EQ(s.err.str(), log);
  EXPECT_EQ(server.requests().at(0).Header("x-amz-log-type"), "Tail");
}

TEST(InvokeTest, FunctionErrorPrintsBodyAndExitsOne) {
  const std::string body = R"({"errorMessage":"boom","errorType":"Exception","stackTrace":[]})";
  FakeLambdaServer server([&](const RecordedRequest&) {
    return CannedResponse{200, {{"X-Amz-Function-Error", "Unhandled"}}, body};
  });
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "f", "--endpoint", server.url()}, s), 1);
  EXPECT_EQ(s.out.str(), body + "\n");
  EXPECT_EQ(s.err.str(), "kindling: function error (Unhandled)\n");
}

TEST(InvokeTest, ApiErrorIsOneLineAndExitOne) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return FakeLambdaServer::Error(404, "ResourceNotFoundException", kNotFoundBody);
  });
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "nope", "--endpoint", server.url()}, s), 1);
  EXPECT_EQ(s.out.str(), "");
  EXPECT_EQ(s.err.str(), kNotFoundLine);
}

TEST(InvokeTest, AsyncSendsEventType) {
  FakeLambdaServer server([](const RecordedRequest&) { return CannedResponse{202, {}, ""}; });
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "f", "--async", "--endpoint", server.url()}, s), 0);
  EXPECT_EQ(s.out.str(), "");
  EXPECT_EQ(server.requests().at(0).Header("x-amz-invocation-type"), "Event");
  EXPECT_NE(s.err.str().find("accepted"), std::string::npos);
}

TEST(InvokeTest, UnreachableServer) {
  const std::string url = testing::UnusedLocalUrl();
  Streams s;
  EXPECT_EQ(RunCli({"invoke", "f", "--endpoint", url}, s), 1);
  EXPECT_EQ(s.err.str(), "kindling: cannot reach kindling at " + url + ": Connection refused\n");
}

TEST(InvokeTest, EndpointFromEnvironment) {
  FakeLambdaServer server([](const RecordedRequest&) { return CannedResponse{200, {}, "1"}; });
  setenv("KINDLING_ENDPOINT", server.url().c_str(), 1);
  Streams s;
  const int rc = RunCli({"invoke", "f"}, s);
  unsetenv("KINDLING_ENDPOINT");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(s.out.str(), "1\n");
}

TEST(PayloadTest, ArgumentStdinOrDefault) {
  std::istringstream in("from stdin");
  EXPECT_EQ(*ResolvePayload(std::nullopt, in), "{}");
  EXPECT_EQ(*ResolvePayload(std::string(R"({"k":"v"})"), in), R"({"k":"v"})");
  EXPECT_EQ(*ResolvePayload(std::string("-"), in), "from stdin");
  std::istringstream empty;
  EXPECT_EQ(*ResolvePayload(std::string("-"), empty), "");
}

// ---- ls ----

json::object Fn(const std::string& name, const std::string& runtime, const std::string& handler,
                int memory, int timeout) {
  return {{"FunctionName", name}, {"Runtime", runtime},  {"Handler", handler},
          {"MemorySize", memory}, {"Timeout", timeout}, {"LastModified", "2024-01-02T03:04:05.000+0000"}};
}

FakeLambdaServer::Handler TwoPages() {
  return [](const RecordedRequest& r) {
    if (r.target == "/2015-03-31/functions") {
      return JsonOk(200, {{"Functions", {Fn("alpha", "python3.11", "app.handler", 128, 3)}},
                          {"NextMarker", "tok/1"}});
    }
    if (r.target == "/2015-03-31/functions?Marker=tok%2F1") {
      return JsonOk(200, {{"Functions", {Fn("a-much-longer-name", "provided.al2023", "bootstrap",
                                            1024, 900)}}});
    }
    return FakeLambdaServer::Error(400, "ValidationException", R"({"message":"bad target"})");
  };
}

TEST(ListTest, FollowsMarkersAndAlignsColumns) {
  FakeLambdaServer server(TwoPages());
  Streams s;
  EXPECT_EQ(RunCli({"ls", "--endpoint", server.url()}, s), 0) << s.err.str();
  EXPECT_EQ(s.out.str(),
            "NAME                RUNTIME          HANDLER      MEMORY   TIMEOUT  LAST MODIFIED\n"
            "alpha               python3.11       app.handler  128 MB   3 s      "
            "2024-01-02T03:04:05.000+0000\n"
            "a-much-longer-name  provided.al2023  bootstrap    1024 MB  900 s    "
            "2024-01-02T03:04:05.000+0000\n");
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(s.err.str(), "");
}

TEST(ListTest, JsonPrintsAllFunctions) {
  FakeLambdaServer server(TwoPages());
  Streams s;
  EXPECT_EQ(RunCli({"ls", "--json", "--endpoint", server.url()}, s), 0);
  json::value v = json::parse(s.out.str());
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.get_array().size(), 2u);
  EXPECT_EQ(v.get_array()[1].at("FunctionName"), "a-much-longer-name");
}

TEST(ListTest, EmptyListAndErrors) {
  EXPECT_EQ(FormatFunctionTable({}),
            "NAME  RUNTIME  HANDLER  MEMORY  TIMEOUT  LAST MODIFIED\n");
  FakeLambdaServer server([](const RecordedRequest&) {
    return FakeLambdaServer::Error(500, "ServiceException",
                                   R"({"Type":"Service","Message":"disk on fire"})");
  });
  Streams s;
  EXPECT_EQ(RunCli({"ls", "--endpoint", server.url()}, s), 1);
  EXPECT_EQ(s.err.str(), "kindling: ServiceException: disk on fire\n");
  EXPECT_EQ(s.out.str(), "");
}

// ---- rm ----

TEST(RemoveTest, DeletesAndReportsErrors) {
  FakeLambdaServer server([](const RecordedRequest& r) {
    if (r.target.find("/nope") != std::string::npos) {
      return FakeLambdaServer::Error(404, "ResourceNotFoundException", kNotFoundBody);
    }
    return CannedResponse{204, {}, ""};
  });
  Streams s;
  EXPECT_EQ(RunCli({"rm", "fn", "--qualifier", "2", "--endpoint", server.url()}, s), 0);
  EXPECT_EQ(s.out.str(), "deleted fn:2\n");
  EXPECT_EQ(server.requests().at(0).method, "DELETE");
  EXPECT_EQ(server.requests().at(0).target, "/2015-03-31/functions/fn?Qualifier=2");
  Streams t;
  EXPECT_EQ(RunCli({"rm", "nope", "--endpoint", server.url()}, t), 1);
  EXPECT_EQ(t.err.str(), kNotFoundLine);
}

// ---- argument errors (CLI11) ----

TEST(ArgumentsTest, BadArgumentsAreParseErrors) {
  Streams s;
  EXPECT_THROW(RunCli({"invoke"}, s), CLI::ParseError);
  EXPECT_THROW(RunCli({"invoke", "f", "--tail", "--async"}, s), CLI::ParseError);
  EXPECT_THROW(RunCli({"logs", "f", "--since", "5 parsecs"}, s), CLI::ParseError);
  EXPECT_THROW(RunCli({"ls", "--endpoint", "https://example.com"}, s), CLI::ParseError);
  EXPECT_THROW(RunCli({"deploy", "/definitely/not/here", "--name", "f", "--runtime", "r",
                       "--handler", "h"},
                      s),
               CLI::ParseError);
  EXPECT_THROW(RunCli({"deploy", "/tmp", "--name", "f", "--runtime", "r", "--handler", "h",
                       "--env", "NOEQUALS"},
                      s),
               CLI::ParseError);
  EXPECT_THROW(RunCli({"deploy", "/tmp", "--runtime", "r", "--handler", "h"}, s),
               CLI::ParseError);
  EXPECT_EQ(s.out.str(), "");
}

TEST(ArgumentsTest, EnvAssignments) {
  auto env = ParseEnvAssignments({"A=1", "B=x=y", "A=2", "EMPTY="});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, (std::map<std::string, std::string>{{"A", "2"}, {"B", "x=y"}, {"EMPTY", ""}}));
  EXPECT_FALSE(ParseEnvAssignments({"novalue"}).ok());
  EXPECT_FALSE(ParseEnvAssignments({"=v"}).ok());
}

TEST(ArgumentsTest, EveryOptionHasHelp) {
  CLI::App app("kindling");
  int exit_code = 0;
  RegisterClientCommands(app, &exit_code);
  for (const char* name : {"deploy", "invoke", "ls", "logs", "rm"}) {
    CLI::App* sub = app.get_subcommand(name);
    EXPECT_FALSE(sub->get_description().empty()) << name;
    for (const CLI::Option* opt : sub->get_options()) {
      EXPECT_FALSE(opt->get_description().empty()) << name << " " << opt->get_name();
    }
    EXPECT_NE(sub->help().find("KINDLING_ENDPOINT"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace kindling::cli
