// The runtime plane against the real launcher and kernel, with a tiny shell runtime that speaks
// the Runtime API through curl: cold start, warm reuse, scale-out, timeouts, idle reaping,
// retirement of replaced versions, throttling.
#include "runtime/dispatcher.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "http/loop_group.h"
#include "runtime/environment_builder.h"
#include "sandbox/isolation.h"
#include "sandbox/launcher.h"
#include "util/ids.h"

namespace kindling::runtime {
namespace {

namespace fs = std::filesystem;

// Answers {"env":"<a token unique to this process>"} (not $$: every environment has its own pid
// namespace, where the shell is always pid 2); an event {"sleep":N} sleeps N seconds first.
constexpr char kBootstrap[] = R"SH(#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
TOKEN=$(cat /proc/sys/kernel/random/uuid)
H=/tmp/headers
while :; do
  EVENT=$(/usr/bin/curl -sS -f -D "$H" "$API/invocation/next") || exit 1
  ID=$(grep -i '^lambda-runtime-aws-request-id' "$H" | tr -d '\r' | cut -d' ' -f2)
  case "$EVENT" in *sleep*) sleep "$(echo "$EVENT" | tr -dc 0-9)";; esac
  /usr/bin/curl -sS -f -o /dev/null -X POST -d "{\"env\":\"$TOKEN\"}" "$API/invocation/$ID/response" || exit 1
done
)SH";

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = "dt-" + RandomHex(4);
    auto cg = sandbox::CgroupManager::Discover(key_);
    ASSERT_TRUE(cg.ok()) << cg.status().ToString();
    root_ = fs::temp_directory_path() / ("kindling-dt-root-" + key_);
    fs::create_directories(root_);
    sandbox::LauncherConfig config;
    config.rootfs = sandbox::RootfsPlan::ForHost(root_.string(), false);
    auto launcher = sandbox::LauncherClient::Start(std::move(cg).value(),  // before any thread
                                                   std::move(config));
    ASSERT_TRUE(launcher.ok());
    launcher_ = std::move(launcher).value();
    code_ = fs::temp_directory_path() / ("kindling-dt-" + RandomHex(4));
    fs::create_directories(code_);
    std::ofstream(code_ / "bootstrap") << kBootstrap;
    fs::permissions(code_ / "bootstrap", fs::perms(0755));
    loops_ = std::make_unique<http::LoopGroup>(2);
    runtime_dir_ = fs::temp_directory_path() / ("kindling-dt-rt-" + key_);
    fs::create_directories(runtime_dir_);
    builder_ = std::make_unique<EnvironmentBuilder>(control::Account{}, &catalog_,
                                                    runtime_dir_.string(), sandbox::kAllLayers);
    ctx_.loops = loops_.get();
    ctx_.launcher = launcher_.get();
    ctx_.builder = builder_.get();
    std::string dir = code_.string();
    ctx_.code_dir = [dir](const std::string&) { return dir; };
    loops_->Start();
  }

  void TearDown() override {
    if (dispatcher_) {
      dispatcher_->StopAll(5000);
      EXPECT_EQ(ctx_.environments.load(), 0);
    }
    loops_->Stop();
    dispatcher_.reset();
    launcher_.reset();
    auto cg = sandbox::CgroupManager::Discover(key_);
    ASSERT_TRUE(cg.ok());
    EXPECT_EQ(cg->RemoveRoots(), 0);
    fs::remove_all(code_);
    fs::remove_all(runtime_dir_);
    fs::remove(root_);
  }

  // Installs (or replaces) function "fn" with `timeout_s`.
  void Deploy(int timeout_s = 5) {
    if (!dispatcher_) dispatcher_ = std::make_unique<Dispatcher>(&ctx_);
    auto cfg = std::make_shared<control::FunctionConfig>();
    cfg->name = "fn";
    cfg->runtime = "provided.al2023";
    cfg->handler = "x";
    cfg->timeout_s = timeout_s;
    cfg->revision_id = NewUuid();
    cfg->code.sha256_hex = std::string(64, 'a');
    auto rec = std::make_shared<control::FunctionRecord>();
    rec->latest = cfg;
    registry_ = std::make_shared<control::Registry>(
        std::map<std::string, std::shared_ptr<const control::FunctionRecord>>{{"fn", rec}});
    dispatcher_->OnRegistryChange(*registry_);
  }

  std::future<InvokeResult> InvokeAsync(const std::string& payload) {
    auto promise = std::make_shared<std::promise<InvokeResult>>();
    auto future = promise->get_future();
    auto resolved = registry_->Resolve({"fn", std::nullopt}, control::Account{});
    InvokeRequest req;
    req.request_id = NewUuid();
    req.payload = payload;
    req.invoked_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn";
    dispatcher_->Invoke(*resolved, std::move(req),
                        [promise](InvokeResult r) { promise->set_value(std::move(r)); });
    return future;
  }

  InvokeResult Call(const std::string& payload = "{}") {
    auto f = InvokeAsync(payload);
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
  }

  static std::string Pid(const InvokeResult& r) { return r.body; }

  bool WaitForEnvironments(int n) {
    for (int i = 0; i < 300 && ctx_.environments.load() != n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ctx_.environments.load() == n;
  }

  std::string key_;
  fs::path code_, root_, runtime_dir_;
  control::RuntimeCatalog catalog_{
      {{"provided.al2023", control::RuntimeFamily::kProvided, "", "", "provided"}}};
  std::unique_ptr<sandbox::LauncherClient> launcher_;
  std::unique_ptr<http::LoopGroup> loops_;
  std::unique_ptr<EnvironmentBuilder> builder_;
  RuntimeContext ctx_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::shared_ptr<control::Registry> registry_;
};

TEST_F(DispatcherTest, ColdStartThenWarmReuse) {
  Deploy();
  auto first = Call();
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  EXPECT_EQ(first.function_error, "");
  EXPECT_EQ(first.executed_version, "$LATEST");
  auto second = Call();
  EXPECT_EQ(Pid(second), Pid(first));
  EXPECT_EQ(ctx_.environments.load(), 1);
  EXPECT_EQ(ctx_.in_flight.load(), 0);
}

TEST_F(DispatcherTest, CpuQuotaIsAppliedOnceInitIsDone) {
  const auto& cgroups = launcher_->cgroups();
  if (cgroups.version() != sandbox::CgroupManager::Version::kV1) GTEST_SKIP() << "cgroup v1 only";
  Deploy();
  Call();
  // This server's cgroups: exactly one environment, with the quota set after init.
  std::vector<fs::path> envs;
  for (const auto& e : fs::directory_iterator(cgroups.ControllerFile("cpu", "", ""))) {
    if (e.is_directory() && e.path().filename().string().rfind("env-", 0) == 0) {
      envs.push_back(e.path());
    }
  }
  ASSERT_EQ(envs.size(), 1u);
  std::ifstream in(envs[0] / "cpu.cfs_quota_us");
  int64_t quota = 0;
  in >> quota;
  EXPECT_EQ(quota, CpuQuotaMicros(128));  // 1.45 ms per 20 ms period at 128 MB
}

TEST_F(DispatcherTest, ConcurrentInvocationsGetTheirOwnEnvironments) {
  Deploy();
  std::vector<std::future<InvokeResult>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(InvokeAsync(R"({"sleep":1})"));
  std::set<std::string> pids;
  for (auto& f : futures) pids.insert(Pid(f.get()));
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(ctx_.environments.load(), 3);
}

TEST_F(DispatcherTest, TimeoutKillsTheEnvironment) {
  Deploy(/*timeout_s=*/1);
  auto warm = Call();
  auto start = std::chrono::steady_clock::now();
  auto r = Call(R"({"sleep":5})");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_NE(r.body.find("Sandbox.Timedout"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Task timed out after 1.00 seconds"), std::string::npos);
  EXPECT_TRUE(WaitForEnvironments(0));
  EXPECT_NE(Pid(Call()), Pid(warm));
}

TEST_F(DispatcherTest, IdleEnvironmentsAreReaped) {
  ctx_.options.idle_timeout_ms = 100;
  Deploy();
  Call();
  EXPECT_EQ(ctx_.environments.load(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  dispatcher_->ReapIdle();
  EXPECT_TRUE(WaitForEnvironments(0));
}

TEST_F(DispatcherTest, ReplacedVersionsAreRetired) {
  Deploy();
  auto old = Call();
  Deploy();  // a new $LATEST configuration
  EXPECT_TRUE(WaitForEnvironments(0));
  EXPECT_NE(Pid(Call()), Pid(old));
}

TEST_F(DispatcherTest, ThrottlesBeyondTheConcurrencyLimit) {
  ctx_.options.max_concurrency = 1;
  Deploy();
  auto busy = InvokeAsync(R"({"sleep":1})");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto r = Call();
  EXPECT_EQ(r.status.code(), ErrorCode::kThrottled);
  EXPECT_EQ(r.status.detail(), "ConcurrentInvocationLimitExceeded");
  EXPECT_TRUE(busy.get().status.ok());
}

}  // namespace
}  // namespace kindling::runtime
