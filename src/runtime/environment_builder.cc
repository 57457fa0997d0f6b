#include "runtime/environment_builder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "sandbox/isolation.h"
#include "util/clock.h"

namespace kindling::runtime {

int64_t CpuQuotaMicros(int memory_mb) {
  return std::max<int64_t>(1000,
                           static_cast<int64_t>(memory_mb) * sandbox::kCpuPeriodMicros / 1769);
}

std::string EnvironmentBuilder::LogStreamName(const control::FunctionConfig& config,
                                              const std::string& instance_hex, int64_t wall_ms) {
  return FormatLogStreamDate(wall_ms) + "/[" + config.version + "]" + instance_hex;
}

Result<sandbox::SpawnSpec> EnvironmentBuilder::Build(const control::FunctionConfig& config,
                                                     const std::string& code_dir,
                                                     const std::string& instance_hex,
                                                     bool provisioned) const {
  KINDLING_ASSIGN_OR_RETURN(const control::RuntimeInfo* rt, runtimes_->Find(config.runtime));
  sandbox::SpawnSpec spec;
  spec.layers = layers_;
  // With its own root, the function sees Lambda's paths; otherwise the host's.
  bool own_root = layers_ & sandbox::kMountNamespace;
  const std::string task = own_root ? kTaskRoot : code_dir;
  const std::string rtdir = own_root ? kRuntimeRoot : runtime_dir_;
  if (own_root) {
    spec.binds = {{code_dir, kTaskRoot}, {runtime_dir_, kRuntimeRoot}};
  }
  switch (rt->family) {
    case control::RuntimeFamily::kPython:
      spec.argv = {rt->executable, rtdir + "/python/bootstrap.py"};
      break;
    case control::RuntimeFamily::kNode:
      spec.argv = {rt->executable, rtdir + "/node/index.mjs"};
      break;
    case control::RuntimeFamily::kProvided: {
      std::string bootstrap = code_dir + "/bootstrap";
      struct stat st;
      if (stat(bootstrap.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return InvalidParameter("Couldn't find valid bootstrap(s): [/var/task/bootstrap "
                                "/opt/bootstrap]");
      }
      if (access(bootstrap.c_str(), X_OK) != 0) {
        return InvalidParameter("Couldn't find valid bootstrap(s): [/var/task/bootstrap "
                                "/opt/bootstrap] (/var/task/bootstrap is not executable)");
      }
      spec.argv = {task + "/bootstrap"};
      break;
    }
  }
  std::map<std::string, std::string> env;
  if (config.environment) env = *config.environment;
  // Unreserved defaults: the function may override these.
  auto dflt = [&](const char* k, std::string v) { env.emplace(k, std::move(v)); };
  dflt("LANG", "en_US.UTF-8");
  dflt("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
  dflt("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR");
  dflt("LD_LIBRARY_PATH", "/lib64:/usr/lib64:" + rtdir + ":" + rtdir + "/lib:" + task + ":" +
                              task + "/lib:/opt/lib");
  if (rt->family == control::RuntimeFamily::kPython) dflt("PYTHONPATH", rtdir + "/python");
  if (rt->family == control::RuntimeFamily::kNode) {
    std::string major = config.runtime.substr(6, config.runtime.find('.') - 6);
    dflt("NODE_PATH", "/opt/nodejs/node" + major + "/node_modules:/opt/nodejs/node_modules:" +
                          rtdir + "/node_modules");
  }
  // Reserved: always ours.
  auto set = [&](const char* k, std::string v) { env[k] = std::move(v); };
  set("_HANDLER", config.handler);
  set("LAMBDA_TASK_ROOT", task);
  set("LAMBDA_RUNTIME_DIR", rtdir);
  set("AWS_LAMBDA_FUNCTION_NAME", config.name);
  set("AWS_LAMBDA_FUNCTION_VERSION", config.version);
  set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(config.memory_mb));
  set("AWS_LAMBDA_LOG_GROUP_NAME", config.log_group);
  set("AWS_LAMBDA_LOG_STREAM_NAME", LogStreamName(config, instance_hex, WallMillisNow()));
  set("AWS_REGION", account_.region);
  set("AWS_DEFAULT_REGION", account_.region);
  set("AWS_LAMBDA_INITIALIZATION_TYPE", provisioned ? "provisioned-concurrency" : "on-demand");
  set("TZ", ":UTC");
  // Execution-role credentials. Until roles exist (the authentication issue), each environment
  // gets its own placeholder key: SDKs in the function can sign requests, kindling checks no
  // signature yet, and the values grant nothing anywhere else.
  std::string key_id = "KINDLINGPLACEHOLDER" + instance_hex.substr(0, 8);
  set("AWS_ACCESS_KEY_ID", key_id);
  set("AWS_ACCESS_KEY", key_id);
  set("AWS_SECRET_ACCESS_KEY", "kindling-placeholder-" + instance_hex);
  set("AWS_SECRET_KEY", "kindling-placeholder-" + instance_hex);
  set("AWS_SESSION_TOKEN", "kindling-placeholder-session-" + instance_hex);
  if (!rt->execution_env.empty()) {
    set("AWS_EXECUTION_ENV", rt->execution_env);
  } else {
    env.erase("AWS_EXECUTION_ENV");
  }
  if (config.log_format == "JSON") {
    set("AWS_LAMBDA_LOG_FORMAT", "JSON");
    set("AWS_LAMBDA_LOG_LEVEL", config.application_log_level);
  }
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  spec.cwd = task;
  spec.cgroup = "env-" + instance_hex;
  spec.hostname = "localhost";
  spec.tmp_bytes = static_cast<int64_t>(config.ephemeral_mb) << 20;
  spec.limits.memory_bytes = static_cast<int64_t>(config.memory_mb) << 20;
  spec.limits.pids_max = 1024;
  // CPU proportional to memory, as on Lambda where 1769 MB is one full vCPU: a share under
  // contention here, and a quota (CpuQuotaMicros) that the instance applies once init is done.
  spec.limits.cpu_weight = std::max<int64_t>(2, static_cast<int64_t>(config.memory_mb) * 1024 / 1769);
  return spec;
}

}  // namespace kindling::runtime
