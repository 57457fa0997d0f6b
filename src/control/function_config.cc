#include "control/function_config.h"

#include <boost/json.hpp>

namespace kindling::control {

namespace json = boost::json;

std::string EnvironmentJson(const std::map<std::string, std::string>& env) {
  json::object o;
  for (const auto& [k, v] : env) o[k] = v;
  return json::serialize(o);
}

std::string FunctionConfig::ToStoredJson() const {
  json::object o;
  o["name"] = name;
  o["version"] = version;
  o["description"] = description;
  o["runtime"] = runtime;
  o["handler"] = handler;
  o["role"] = role;
  o["timeout"] = timeout_s;
  o["memory"] = memory_mb;
  o["ephemeral"] = ephemeral_mb;
  if (environment) {
    json::object env;
    for (const auto& [k, v] : *environment) env[k] = v;
    o["environment"] = std::move(env);
  }
  o["code_sha256"] = code.sha256_base64;
  o["code_hex"] = code.sha256_hex;
  o["code_size"] = code.size;
  o["architecture"] = architecture;
  o["tracing"] = tracing_mode;
  o["log_format"] = log_format;
  o["log_group"] = log_group;
  o["app_log_level"] = application_log_level;
  o["system_log_level"] = system_log_level;
  o["last_modified"] = last_modified;
  o["revision_id"] = revision_id;
  if (!source_revision_id.empty()) o["source_revision_id"] = source_revision_id;
  o["passthrough"] = passthrough_json;
  return json::serialize(o);
}

Result<FunctionConfig> FunctionConfig::FromStoredJson(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("corrupt stored function configuration");
  const json::object& o = v.as_object();
  auto str = [&](const char* k) -> std::string {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  auto num = [&](const char* k, int64_t dflt) -> int64_t {
    auto* p = o.if_contains(k);
    return p && p->is_int64() ? p->as_int64() : dflt;
  };
  FunctionConfig c;
  c.name = str("name");
  c.version = str("version");
  c.description = str("description");
  c.runtime = str("runtime");
  c.handler = str("handler");
  c.role = str("role");
  c.timeout_s = static_cast<int>(num("timeout", 3));
  c.memory_mb = static_cast<int>(num("memory", 128));
  c.ephemeral_mb = static_cast<int>(num("ephemeral", 512));
  if (auto* env = o.if_contains("environment"); env && env->is_object()) {
    std::map<std::string, std::string> m;
    for (const auto& kv : env->as_object()) {
      if (kv.value().is_string()) m[std::string(kv.key())] = std::string(kv.value().as_string());
    }
    c.environment = std::move(m);
  }
  c.code.sha256_base64 = str("code_sha256");
  c.code.sha256_hex = str("code_hex");
  c.code.size = num("code_size", 0);
  c.architecture = str("architecture");
  c.tracing_mode = str("tracing");
  c.log_format = str("log_format");
  c.log_group = str("log_group");
  c.application_log_level = str("app_log_level");
  c.system_log_level = str("system_log_level");
  c.last_modified = str("last_modified");
  c.revision_id = str("revision_id");
  c.source_revision_id = str("source_revision_id");
  c.passthrough_json = str("passthrough");
  if (c.passthrough_json.empty()) c.passthrough_json = "{}";
  if (c.name.empty() || c.version.empty()) return Internal("corrupt stored function configuration");
  return c;
}

}  // namespace kindling::control
