#include "runtime/environment_builder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sandbox/isolation.h"
#include "util/ids.h"

namespace kindling::runtime {
namespace {

control::RuntimeCatalog Catalog() {
  return control::RuntimeCatalog(
      {{"python3.11", control::RuntimeFamily::kPython, "/usr/bin/python3.11",
        "AWS_Lambda_python3.11", "python:3.11"},
       {"nodejs20.x", control::RuntimeFamily::kNode, "/usr/bin/node", "AWS_Lambda_nodejs20.x",
        "nodejs:20"},
       {"provided.al2023", control::RuntimeFamily::kProvided, "", "", "provided"}});
}

control::FunctionConfig Config(const std::string& runtime) {
  control::FunctionConfig c;
  c.name = "fn";
  c.runtime = runtime;
  c.handler = "app.handler";
  c.memory_mb = 256;
  c.log_group = "/aws/lambda/fn";
  c.environment = std::map<std::string, std::string>{{"MINE", "1"}, {"AWS_REGION", "evil"},
                                                     {"PATH", "/custom"}};
  return c;
}

std::map<std::string, std::string> EnvMap(const sandbox::SpawnSpec& s) {
  std::map<std::string, std::string> m;
  for (const auto& e : s.env) {
    auto eq = e.find('=');
    m[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return m;
}

TEST(EnvironmentBuilder, PythonGetsLambdaEnvironmentAndReservedVariablesWin) {
  auto catalog = Catalog();
  EnvironmentBuilder b(control::Account{}, &catalog, "/rt", sandbox::kAllLayers);
  auto spec = b.Build(Config("python3.11"), "/code/abc", std::string(32, 'a'));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->argv,
            (std::vector<std::string>{"/usr/bin/python3.11", "/var/runtime/python/bootstrap.py"}));
  auto env = EnvMap(*spec);
  EXPECT_EQ(env["_HANDLER"], "app.handler");
  EXPECT_EQ(env["LAMBDA_TASK_ROOT"], "/var/task");
  EXPECT_EQ(env["LAMBDA_RUNTIME_DIR"], "/var/runtime");
  ASSERT_EQ(spec->binds.size(), 2u);
  EXPECT_EQ(spec->binds[0].source, "/code/abc");
  EXPECT_EQ(spec->binds[0].target, "/var/task");
  EXPECT_EQ(spec->binds[1].source, "/rt");
  EXPECT_EQ(spec->binds[1].target, "/var/runtime");
  EXPECT_EQ(spec->layers, sandbox::kAllLayers);
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
  EXPECT_EQ(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.11");
  EXPECT_EQ(env["AWS_REGION"], "us-east-1");  // reserved beats the function's value
  EXPECT_EQ(env["PATH"], "/custom");          // unreserved default yields to the function
  EXPECT_EQ(env["MINE"], "1");
  EXPECT_EQ(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
  EXPECT_EQ(env.count("AWS_LAMBDA_MAX_CONCURRENCY"), 0u);
  EXPECT_EQ(env.count("_LAMBDA_TELEMETRY_LOG_FD"), 0u);
  EXPECT_EQ(env["AWS_ACCESS_KEY_ID"].rfind("KINDLINGPLACEHOLDER", 0), 0u);
  EXPECT_FALSE(env["AWS_SECRET_ACCESS_KEY"].empty());
  EXPECT_FALSE(env["AWS_SESSION_TOKEN"].empty());
  EXPECT_EQ(env["PYTHONPATH"], "/var/runtime/python");
  EXPECT_EQ(env["TZ"], ":UTC");
  EXPECT_NE(env["AWS_LAMBDA_LOG_STREAM_NAME"].find("/[$LATEST]" + std::string(32, 'a')),
            std::string::npos);
  EXPECT_EQ(spec->limits.memory_bytes, 256LL << 20);
  EXPECT_EQ(spec->limits.cpu_weight, 256 * 1024 / 1769);
  EXPECT_EQ(spec->tmp_bytes, 512LL << 20);
  EXPECT_EQ(spec->cwd, "/var/task");
}

TEST(EnvironmentBuilder, WithoutAMountNamespaceHostPathsAreUsed) {
  auto catalog = Catalog();
  EnvironmentBuilder b(control::Account{}, &catalog, "/rt",
                       sandbox::kAllLayers & ~sandbox::kMountNamespace);
  auto spec = b.Build(Config("python3.11"), "/code/abc", std::string(32, 'a'));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->argv[1], "/rt/python/bootstrap.py");
  EXPECT_EQ(EnvMap(*spec)["LAMBDA_TASK_ROOT"], "/code/abc");
  EXPECT_TRUE(spec->binds.empty());
  EXPECT_EQ(spec->cwd, "/code/abc");
}

TEST(EnvironmentBuilder, CpuQuotaIsProportionalToMemory) {
  EXPECT_EQ(CpuQuotaMicros(1769), 20000);  // the whole 20 ms period: one vCPU
  EXPECT_EQ(CpuQuotaMicros(3538), 40000);
  EXPECT_EQ(CpuQuotaMicros(128), 1447);
  EXPECT_EQ(CpuQuotaMicros(1), 1000);  // the kernel's minimum
}

TEST(EnvironmentBuilder, NodeGetsNodePath) {
  auto catalog = Catalog();
  EnvironmentBuilder b(control::Account{}, &catalog, "/rt", sandbox::kAllLayers);
  auto spec = b.Build(Config("nodejs20.x"), "/code", std::string(32, 'b'));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->argv[1], "/var/runtime/node/index.mjs");
  EXPECT_NE(EnvMap(*spec)["NODE_PATH"].find("/opt/nodejs/node20/node_modules"), std::string::npos);
}

TEST(EnvironmentBuilder, ProvidedNeedsAnExecutableBootstrap) {
  auto catalog = Catalog();
  EnvironmentBuilder b(control::Account{}, &catalog, "/rt", sandbox::kAllLayers);
  auto dir = std::filesystem::temp_directory_path() / ("kindling-eb-" + RandomHex(4));
  std::filesystem::create_directories(dir);
  auto missing = b.Build(Config("provided.al2023"), dir.string(), std::string(32, 'c'));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("Couldn't find valid bootstrap"), std::string::npos);
  std::ofstream(dir / "bootstrap") << "#!/bin/sh\n";
  std::filesystem::permissions(dir / "bootstrap", std::filesystem::perms(0755));
  auto ok = b.Build(Config("provided.al2023"), dir.string(), std::string(32, 'c'));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->argv[0], "/var/task/bootstrap");
  EXPECT_EQ(EnvMap(*ok).count("AWS_EXECUTION_ENV"), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kindling::runtime
