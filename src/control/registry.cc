#include "control/registry.h"

#include <boost/json.hpp>

#include "util/strings.h"

namespace kindling::control {

namespace json = boost::json;

std::string AliasConfig::ToStoredJson() const {
  json::object o;
  o["name"] = name;
  o["function_version"] = function_version;
  o["description"] = description;
  o["revision_id"] = revision_id;
  json::object w;
  for (const auto& [k, v] : additional_weights) w[k] = v;
  o["weights"] = std::move(w);
  return json::serialize(o);
}

Result<AliasConfig> AliasConfig::FromStoredJson(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("corrupt stored alias");
  const auto& o = v.as_object();
  AliasConfig a;
  auto str = [&](const char* k) -> std::string {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  a.name = str("name");
  a.function_version = str("function_version");
  a.description = str("description");
  a.revision_id = str("revision_id");
  if (auto* w = o.if_contains("weights"); w && w->is_object()) {
    for (const auto& kv : w->as_object()) {
      if (kv.value().is_double()) a.additional_weights[std::string(kv.key())] = kv.value().as_double();
    }
  }
  if (a.name.empty()) return Internal("corrupt stored alias");
  return a;
}

std::string FunctionRecord::MetaToStoredJson() const {
  json::object o;
  o["last_version"] = last_version;
  if (reserved_concurrency) o["reserved_concurrency"] = *reserved_concurrency;
  json::object prov;
  for (const auto& [q, p] : provisioned) {
    prov[q] = json::object{{"requested", p.requested}, {"last_modified", p.last_modified}};
  }
  if (!prov.empty()) o["provisioned"] = std::move(prov);
  json::object t;
  for (const auto& [k, v] : tags) t[k] = v;
  o["tags"] = std::move(t);
  return json::serialize(o);
}

Status FunctionRecord::MetaFromStoredJson(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("corrupt stored function metadata");
  const auto& o = v.as_object();
  if (auto* p = o.if_contains("last_version"); p && p->is_int64()) last_version = p->as_int64();
  if (auto* p = o.if_contains("reserved_concurrency"); p && p->is_int64()) {
    reserved_concurrency = p->as_int64();
  }
  if (auto* p = o.if_contains("provisioned"); p && p->is_object()) {
    for (const auto& kv : p->as_object()) {
      if (!kv.value().is_object()) continue;
      const auto& c = kv.value().as_object();
      ProvisionedConfig pc;
      if (auto* r = c.if_contains("requested"); r && r->is_int64()) pc.requested = r->as_int64();
      if (auto* m = c.if_contains("last_modified"); m && m->is_string()) {
        pc.last_modified = std::string(m->as_string());
      }
      provisioned[std::string(kv.key())] = pc;
    }
  }
  if (auto* t = o.if_contains("tags"); t && t->is_object()) {
    for (const auto& kv : t->as_object()) {
      if (kv.value().is_string()) tags[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  return Status::Ok();
}

Status FunctionNotFound(const Account& account, const std::string& name,
                        const std::optional<std::string>& qualifier) {
  return NotFound("Function not found: " + (qualifier ? QualifiedArn(account, name, *qualifier)
                                                      : FunctionArn(account, name)));
}

std::shared_ptr<const FunctionConfig> FunctionRecord::ProvisionedTarget(
    const std::string& qualifier) const {
  std::string version = qualifier;
  if (auto a = aliases.find(qualifier); a != aliases.end()) version = a->second.function_version;
  auto n = ParseInt(version);
  if (!n) return nullptr;
  auto v = versions.find(*n);
  return v == versions.end() ? nullptr : v->second;
}

Registry::Registry(std::map<std::string, std::shared_ptr<const FunctionRecord>> functions)
    : functions_(std::move(functions)) {
  for (const auto& [name, rec] : functions_) reserved_total_ += rec->reserved_concurrency.value_or(0);
}

std::shared_ptr<const FunctionRecord> Registry::Find(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second;
}

Result<Resolved> Registry::Resolve(const FunctionRef& ref, const Account& account) const {
  auto record = Find(ref.name);
  if (!record) return FunctionNotFound(account, ref.name, ref.qualifier);
  Resolved r;
  r.record = record;
  r.qualifier = ref.qualifier;
  if (!ref.qualifier || *ref.qualifier == kLatest) {
    r.config = record->latest;
    return r;
  }
  const std::string& q = *ref.qualifier;
  if (IsVersionNumber(q)) {
    auto it = record->versions.find(*ParseInt(q));
    if (it == record->versions.end()) return FunctionNotFound(account, ref.name, q);
    r.config = it->second;
    return r;
  }
  auto alias = record->aliases.find(q);
  if (alias == record->aliases.end()) return FunctionNotFound(account, ref.name, q);
  r.alias = &alias->second;
  const std::string& target = alias->second.function_version;
  if (target == kLatest) {
    r.config = record->latest;
  } else {
    auto it = record->versions.find(ParseInt(target).value_or(-1));
    if (it == record->versions.end()) return FunctionNotFound(account, ref.name, q);
    r.config = it->second;
  }
  return r;
}

}  // namespace kindling::control
