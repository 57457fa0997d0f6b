#include "sandbox/spawn_spec.h"

#include <boost/json.hpp>

namespace kindling::sandbox {

namespace json = boost::json;

std::string SpawnSpec::ToJson() const {
  json::object o;
  json::array a, e;
  for (const auto& s : argv) a.emplace_back(s);
  for (const auto& s : env) e.emplace_back(s);
  o["argv"] = std::move(a);
  o["env"] = std::move(e);
  o["cwd"] = cwd;
  o["cgroup"] = cgroup;
  o["memory_bytes"] = limits.memory_bytes;
  o["pids_max"] = limits.pids_max;
  o["cpu_weight"] = limits.cpu_weight;
  return json::serialize(o);
}

Result<SpawnSpec> SpawnSpec::FromJson(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return InvalidParameter("malformed spawn spec");
  const auto& o = v.as_object();
  SpawnSpec s;
  auto strings = [&](const char* k, std::vector<std::string>* out) {
    if (auto* p = o.if_contains(k); p && p->is_array()) {
      for (const auto& x : p->as_array())
        if (x.is_string()) out->emplace_back(x.as_string());
    }
  };
  strings("argv", &s.argv);
  strings("env", &s.env);
  auto str = [&](const char* k) {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  auto num = [&](const char* k, int64_t d) {
    auto* p = o.if_contains(k);
    return p && p->is_int64() ? p->as_int64() : d;
  };
  s.cwd = str("cwd");
  s.cgroup = str("cgroup");
  s.limits.memory_bytes = num("memory_bytes", s.limits.memory_bytes);
  s.limits.pids_max = num("pids_max", s.limits.pids_max);
  s.limits.cpu_weight = num("cpu_weight", s.limits.cpu_weight);
  if (s.argv.empty() || s.argv[0].empty() || s.argv[0][0] != '/' || s.cgroup.empty() ||
      s.cgroup.find('/') != std::string::npos || s.cgroup[0] == '.') {
    return InvalidParameter("invalid spawn spec");
  }
  return s;
}

}  // namespace kindling::sandbox
