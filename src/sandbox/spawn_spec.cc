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
  o["layers"] = layers;
  json::array b;
  for (const auto& m : binds) b.push_back(json::object{{"source", m.source}, {"target", m.target}});
  o["binds"] = std::move(b);
  o["tmp_bytes"] = tmp_bytes;
  o["hostname"] = hostname;
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
  s.layers = static_cast<uint32_t>(num("layers", s.layers));
  if (auto* b = o.if_contains("binds"); b && b->is_array()) {
    for (const auto& m : b->as_array()) {
      if (!m.is_object()) continue;
      const auto& mo = m.as_object();
      auto* src = mo.if_contains("source");
      auto* dst = mo.if_contains("target");
      if (src && dst && src->is_string() && dst->is_string()) {
        s.binds.push_back({std::string(src->as_string()), std::string(dst->as_string())});
      }
    }
  }
  s.tmp_bytes = num("tmp_bytes", s.tmp_bytes);
  s.hostname = str("hostname");
  if (s.hostname.empty()) s.hostname = "localhost";
  if (s.argv.empty() || s.argv[0].empty() || s.argv[0][0] != '/' || s.cgroup.empty() ||
      s.cgroup.find('/') != std::string::npos || s.cgroup[0] == '.' || s.tmp_bytes <= 0) {
    return InvalidParameter("invalid spawn spec");
  }
  for (const auto& m : s.binds) {
    if (m.source.empty() || m.source[0] != '/' || m.target.size() < 2 || m.target[0] != '/' ||
        m.target.find("..") != std::string::npos) {
      return InvalidParameter("invalid bind mount in spawn spec");
    }
  }
  return s;
}

}  // namespace kindling::sandbox
