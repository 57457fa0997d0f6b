// `kindling deploy` and `kindling logs` against an in-process fake Lambda server.
#include <CLI/CLI.hpp>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/client_commands.h"
#include "cli/fake_lambda_server.h"
#include "util/clock.h"
#include "util/encoding.h"
#include "util/strings.h"

namespace kindling::cli {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using testing::CannedResponse;
using testing::FakeLambdaServer;
using testing::RecordedRequest;

struct Streams {
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Io io() { return Io{&in, &out, &err}; }
};

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

// ---- deploy ----

class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kindling-deploy-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "app.py") << "def handler(e, c):\n    return e\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A server that knows the function when `exists`, answering writes with a configuration
  // built from the request (CodeSha256 computed from the uploaded zip).
  FakeLambdaServer::Handler Lambda(bool exists) {
    return [this, exists](const RecordedRequest& r) {
      if (r.method == "GET") {
        if (!exists) {
          return FakeLambdaServer::Error(
              404, "ResourceNotFoundException",
              R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello"})");
        }
        return JsonOk(200, {{"Configuration", {{"FunctionName", "hello"}}}});
      }
      json::object body = json::parse(r.body).as_object();
      json::object config{{"FunctionName", "hello"}, {"Runtime", "python3.11"},
                          {"Handler", "app.handler"}, {"MemorySize", 128}, {"Timeout", 3},
                          {"CodeSha256", last_sha_}};
      const json::value* zip = body.if_contains("ZipFile");
      if (body.contains("Code")) zip = body.at("Code").as_object().if_contains("ZipFile");
      if (zip) {
        auto bytes = Base64Decode(zip->as_string());
        EXPECT_TRUE(bytes && bytes->rfind("PK\x03\x04", 0) == 0);
        last_sha_ = Base64Encode(Sha256(bytes.value_or("")));
        config["CodeSha256"] = last_sha_;
      }
      for (const char* k : {"Runtime", "Handler", "MemorySize", "Timeout"}) {
        if (body.contains(k)) config[k] = body.at(k);
      }
      return JsonOk(r.method == "POST" ? 201 : 200, config);
    };
  }

  fs::path dir_;
  std::string last_sha_ = "none";
};

TEST_F(DeployTest, CreatesWhenMissing) {
  FakeLambdaServer server(Lambda(false));
  Streams s;
  EXPECT_EQ(RunCli({"deploy", dir_.string(), "--name", "hello", "--runtime", "python3.11",
                    "--handler", "app.handler", "--memory", "256", "--env", "A=1", "--env",
                    "B=2", "--endpoint", server.url()},
                   s),
            0)
      << s.err.str();
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/2015-03-31/functions/hello");
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_EQ(reqs[1].target, "/2015-03-31/functions");
  EXPECT_EQ(reqs[1].Header("content-type"), "application/json");
  json::object body = json::parse(reqs[1].body).as_object();
  EXPECT_EQ(body.at("FunctionName"), "hello");
  EXPECT_EQ(body.at("Runtime"), "python3.11");
  EXPECT_EQ(body.at("Handler"), "app.handler");
  EXPECT_EQ(body.at("Role"), "arn:aws:iam::000000000000:role/kindling");
  EXPECT_EQ(body.at("MemorySize"), 256);
  EXPECT_FALSE(body.contains("Timeout"));
  EXPECT_EQ(body.at("Environment"), (json::value{{"Variables", {{"A", "1"}, {"B", "2"}}}}));
  EXPECT_EQ(s.out.str(), "deployed hello (python3.11, app.handler, 256 MB, 3 s) CodeSha256=" +
                             last_sha_ + "\n");
  EXPECT_EQ(s.err.str(), "");
}

TEST_F(DeployTest, UpdatesCodeThenConfigurationWhenPresent) {
  FakeLambdaServer server(Lambda(true));
  Streams s;
  EXPECT_EQ(RunCli({"deploy", dir_.string(), "-n", "hello", "--runtime", "python3.12",
                    "--handler", "app.main", "--timeout", "30", "--endpoint", server.url()},
                   s),
            0)
      << s.err.str();
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].method, "PUT");
  EXPECT_EQ(reqs[1].target, "/2015-03-31/functions/hello/code");
  EXPECT_TRUE(json::parse(reqs[1].body).as_object().contains("ZipFile"));
  EXPECT_EQ(reqs[2].method, "PUT");
  EXPECT_EQ(reqs[2].target, "/2015-03-31/functions/hello/configuration");
  json::object config = json::parse(reqs[2].body).as_object();
  EXPECT_EQ(config.at("Runtime"), "python3.12");
  EXPECT_EQ(config.at("Handler"), "app.main");
  EXPECT_EQ(config.at("Timeout"), 30);
  // Not given: left alone on the server.
  EXPECT_FALSE(config.contains("Environment"));
  EXPECT_FALSE(config.contains("Role"));
  EXPECT_FALSE(config.contains("MemorySize"));
  EXPECT_EQ(s.out.str(), "deployed hello (python3.12, app.main, 128 MB, 30 s) CodeSha256=" +
                             last_sha_ + "\n");
}

TEST_F(DeployTest, SameFolderSameCodeSha) {
  FakeLambdaServer server(Lambda(true));
  Streams a, b;
  const std::vector<std::string> args{"deploy", dir_.string(), "--name", "hello", "--runtime",
                                      "python3.11", "--handler", "app.handler", "--endpoint",
                                      server.url()};
  ASSERT_EQ(RunCli(args, a), 0);
  ASSERT_EQ(chmod((dir_ / "app.py").c_str(), 0600), 0);  // not an exec-bit change: no effect
  ASSERT_EQ(RunCli(args, b), 0);
  EXPECT_EQ(a.out.str(), b.out.str());
}

TEST_F(DeployTest, LookupFailureStopsBeforeWriting) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return FakeLambdaServer::Error(500, "ServiceException",
                                   R"({"Type":"Service","Message":"database locked"})");
  });
  Streams s;
  EXPECT_EQ(RunCli({"deploy", dir_.string(), "--name", "hello", "--runtime", "python3.11",
                    "--handler", "app.handler", "--endpoint", server.url()},
                   s),
            1);
  EXPECT_EQ(s.err.str(), "kindling: ServiceException: database locked\n");
  EXPECT_EQ(server.requests().size(), 1u);
}

// ---- logs ----

json::object Event(int64_t id, int64_t ts, const std::string& message) {
  return {{"id", id}, {"timestamp", ts}, {"logStreamName", "2024/01/01/[$LATEST]abc"},
          {"requestId", "r1"}, {"message", message}};
}

int64_t QueryInt(const std::string& target, const std::string& key) {
  const size_t q = target.find('?');
  for (auto part : Split(std::string_view(target).substr(q + 1), '&')) {
    if (part.substr(0, key.size() + 1) == key + "=") {
      return ParseInt(part.substr(key.size() + 1)).value_or(-1);
    }
  }
  return -1;
}

TEST(LogsTest, PrintsEventsWithTimestamps) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return JsonOk(200, {{"events",
                         {Event(1, 1704067200000, "START RequestId: r1 Version: $LATEST"),
                          Event(2, 1704067200123, "END RequestId: r1")}},
                        {"next", 2}});
  });
  Streams s;
  EXPECT_EQ(RunCli({"logs", "my-fn", "--endpoint", server.url()}, s), 0) << s.err.str();
  EXPECT_EQ(s.out.str(),
            "2024-01-01T00:00:00.000Z START RequestId: r1 Version: $LATEST\n"
            "2024-01-01T00:00:00.123Z END RequestId: r1\n");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target,
            "/kindling/v1/functions/my-fn/logs?since=0&after=0&limit=1000");
}

TEST(LogsTest, SinceBecomesAnEpochCutoff) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return JsonOk(200, {{"events", json::array{}}, {"next", 0}});
  });
  Streams s;
  const int64_t now = WallMillisNow();
  EXPECT_EQ(RunCli({"logs", "f", "--since", "10m", "--endpoint", server.url()}, s), 0);
  const int64_t since = QueryInt(server.requests().at(0).target, "since");
  EXPECT_GE(since, now - 600000);
  EXPECT_LE(since, now - 600000 + 60000);
  EXPECT_EQ(s.out.str(), "");
}

TEST(LogsTest, NotFoundIsOneLine) {
  FakeLambdaServer server([](const RecordedRequest&) {
    return FakeLambdaServer::Error(
        404, "ResourceNotFoundException",
        R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"})");
  });
  Streams s;
  EXPECT_EQ(RunCli({"logs", "nope", "--endpoint", server.url()}, s), 1);
  EXPECT_EQ(s.err.str(),
            "kindling: ResourceNotFoundException: Function not found: "
            "arn:aws:lambda:us-east-1:000000000000:function:nope\n");
}

TEST(LogsTest, FollowPollsAfterTheLastIdUntilSigint) {
  FakeLambdaServer server([](const RecordedRequest& r) {
    const int64_t after = QueryInt(r.target, "after");
    if (after == 0) return JsonOk(200, {{"events", {Event(1, 1704067200000, "first")}}, {"next", 1}});
    if (after == 1) return JsonOk(200, {{"events", {Event(5, 1704067201000, "second")}}, {"next", 5}});
    return JsonOk(200, {{"events", json::array{}}, {"next", after}});
  });
  Streams s;
  LogsOptions o;
  o.endpoint = server.url();
  o.function = "f";
  o.follow = true;
  o.poll_interval_ms = 10;
  int rc = -1;
  std::atomic<bool> done{false};
  std::thread follower([&] {
    rc = RunLogs(o, s.io());
    done.store(true);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.requests().size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Only while RunLogs runs: its handler turns SIGINT into a clean stop (without it, the
  // default action would end the test binary).
  if (!done.load()) pthread_kill(follower.native_handle(), SIGINT);
  follower.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(s.out.str(),
            "2024-01-01T00:00:00.000Z first\n2024-01-01T00:00:01.000Z second\n");
  auto reqs = server.requests();
  ASSERT_GE(reqs.size(), 4u);
  EXPECT_EQ(QueryInt(reqs[1].target, "after"), 1);
  EXPECT_EQ(QueryInt(reqs[3].target, "after"), 5);
}

}  // namespace
}  // namespace kindling::cli
