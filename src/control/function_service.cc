#include "control/function_service.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "control/validation.h"
#include "store/code_store.h"
#include "store/state_store.h"
#include "util/encoding.h"
#include "util/ids.h"
#include "util/strings.h"

namespace kindling::control {

namespace json = boost::json;

namespace {

constexpr int64_t kMaxPageSize = 50;

// Sort key of a version inside one function: $LATEST first, then numbers ascending.
std::string VersionKey(const FunctionConfig& c) {
  if (c.IsLatest()) return c.name + '\x01' + "0000000000";
  std::string n = c.version;
  return c.name + '\x01' + std::string(10 - std::min<size_t>(10, n.size()), '0') + n;
}

template <typename T, typename KeyFn>
Result<Page<T>> Paginate(const std::vector<T>& sorted, KeyFn key, const ListInput& in) {
  int64_t limit = kMaxPageSize;
  if (in.max_items) {
    Validator v;
    v.Range("maxItems", *in.max_items, 1, 10000);
    KINDLING_RETURN_IF_ERROR(v.Finish());
    limit = std::min(limit, *in.max_items);
  }
  size_t start = 0;
  if (in.marker && !in.marker->empty()) {
    auto decoded = Base64Decode(*in.marker);
    if (!decoded) return InvalidParameter("Invalid marker: " + *in.marker);
    while (start < sorted.size() && key(sorted[start]) < *decoded) ++start;
  }
  Page<T> page;
  size_t end = std::min(sorted.size(), start + static_cast<size_t>(limit));
  page.items.assign(sorted.begin() + static_cast<ptrdiff_t>(start),
                    sorted.begin() + static_cast<ptrdiff_t>(end));
  if (end < sorted.size()) page.next_marker = Base64Encode(key(sorted[end]));
  return page;
}

Status AliasNotFound(const Account& a, const std::string& name, const std::string& alias,
                     bool get) {
  std::string arn = QualifiedArn(a, name, alias);
  return NotFound(get ? "Cannot find alias arn: " + arn : "Alias not found: " + arn);
}

Status CheckArchitectures(const std::optional<std::vector<std::string>>& archs) {
  if (!archs) return Status::Ok();
  if (archs->size() != 1) {
    return ValidationError(
        "1 validation error detected: Value '[" + std::to_string(archs->size()) +
        " items]' at 'architectures' failed to satisfy constraint: Member must have length "
        "less than or equal to 1");
  }
  const std::string& a = (*archs)[0];
  if (a != "x86_64" && a != "arm64") {
    return ValidationError("1 validation error detected: Value '[" + a +
                           "]' at 'architectures' failed to satisfy constraint: Member must "
                           "satisfy constraint: [Member must satisfy enum value set: [x86_64, "
                           "arm64]]");
  }
#if defined(__x86_64__)
  if (a != "x86_64") {
    return InvalidParameter("Architecture arm64 is not available on this kindling host; it "
                            "runs x86_64 functions.");
  }
#endif
  return Status::Ok();
}

Status CheckCodeSources(const std::vector<std::string>& unsupported) {
  if (unsupported.empty()) return Status::Ok();
  return InvalidParameter("Code." + unsupported[0] +
                          " is not supported by kindling; upload the package with Code.ZipFile.");
}

}  // namespace

FunctionService::FunctionService(Account account, const RuntimeCatalog* runtimes,
                                 store::StateStore* state, store::CodeStore* code,
                                 Published<Registry>* registry, const Clock* clock)
    : account_(std::move(account)),
      runtimes_(runtimes),
      state_(state),
      code_(code),
      published_(registry),
      clock_(clock),
      current_(std::make_shared<const Registry>()) {}

Status FunctionService::Load() {
  KINDLING_ASSIGN_OR_RETURN(auto snap, state_->LoadAll());
  std::map<std::string, std::shared_ptr<FunctionRecord>> recs;
  for (const auto& f : snap.functions) {
    auto rec = std::make_shared<FunctionRecord>();
    KINDLING_RETURN_IF_ERROR(rec->MetaFromStoredJson(f.meta_json));
    recs[f.name] = rec;
  }
  for (const auto& v : snap.versions) {
    auto it = recs.find(v.name);
    if (it == recs.end()) continue;
    KINDLING_ASSIGN_OR_RETURN(auto cfg, FunctionConfig::FromStoredJson(v.config_json));
    auto ptr = std::make_shared<const FunctionConfig>(std::move(cfg));
    if (v.version == kLatest) {
      it->second->latest = ptr;
    } else if (auto n = ParseInt(v.version)) {
      it->second->versions[*n] = ptr;
    }
  }
  for (const auto& a : snap.aliases) {
    auto it = recs.find(a.name);
    if (it == recs.end()) continue;
    KINDLING_ASSIGN_OR_RETURN(auto alias, AliasConfig::FromStoredJson(a.alias_json));
    it->second->aliases[a.alias] = std::move(alias);
  }
  std::map<std::string, std::shared_ptr<const FunctionRecord>> functions;
  for (auto& [name, rec] : recs) {
    if (!rec->latest) return Internal("function " + name + " has no $LATEST in the state store");
    if (!code_->Has(rec->latest->code.sha256_hex)) {
      return Internal("code package " + rec->latest->code.sha256_hex + " of function " + name +
                      " is missing from the code store");
    }
    functions[name] = rec;
  }
  auto next = std::make_shared<const Registry>(std::move(functions));
  if (listener_) listener_->OnRegistryChange(*next);
  current_ = next;
  published_->Publish(next);
  return Status::Ok();
}

Result<int> FunctionService::CollectGarbage() {
  std::set<std::string> referenced;
  for (const auto& [name, rec] : current_->functions()) {
    referenced.insert(rec->latest->code.sha256_hex);
    for (const auto& [n, cfg] : rec->versions) referenced.insert(cfg->code.sha256_hex);
  }
  KINDLING_ASSIGN_OR_RETURN(auto stored, code_->List());
  int removed = 0;
  for (const auto& hex : stored) {
    if (referenced.count(hex)) continue;
    KINDLING_RETURN_IF_ERROR(code_->Remove(hex));
    ++removed;
  }
  return removed;
}

Result<FunctionService::RecordPtr> FunctionService::FindRecord(const std::string& name) const {
  auto rec = current_->Find(name);
  if (!rec) return FunctionNotFound(account_, name);
  return rec;
}

Status FunctionService::Save(const std::string& name, RecordPtr record,
                             const store::WriteBatch& batch) {
  KINDLING_RETURN_IF_ERROR(state_->Commit(batch));
  Install(name, std::move(record));
  return Status::Ok();
}

Status FunctionService::SaveAlias(const FunctionRecord& old, const AliasConfig& alias) {
  auto rec = std::make_shared<FunctionRecord>(old);
  rec->aliases[alias.name] = alias;
  store::WriteBatch batch;
  batch.PutAlias(old.name(), alias.name, alias.ToStoredJson());
  return Save(old.name(), rec, batch);
}

void FunctionService::Install(const std::string& name, RecordPtr record) {
  auto functions = current_->functions();
  if (record) {
    functions[name] = std::move(record);
  } else {
    functions.erase(name);
  }
  auto next = std::make_shared<const Registry>(std::move(functions));
  // The runtime plane prepares for the new versions before any reader can resolve them.
  if (listener_) listener_->OnRegistryChange(*next);
  current_ = next;
  published_->Publish(next);
}

Status FunctionService::CheckRevision(const std::optional<std::string>& given,
                                      const std::string& current, bool alias) const {
  if (given && *given != current) {
    return Status(ErrorCode::kPreconditionFailed,
                  std::string("The Revision Id provided does not match the latest Revision Id. "
                              "Call the ") +
                      (alias ? "GetAlias" : "GetFunction/GetAlias") +
                      " API to retrieve the latest Revision Id");
  }
  return Status::Ok();
}

Status FunctionService::ApplyConfig(const ConfigInput& in, FunctionConfig* c,
                                    bool creating) const {
  if (in.runtime) {
    KINDLING_ASSIGN_OR_RETURN(const RuntimeInfo* rt, runtimes_->Find(*in.runtime));
    c->runtime = rt->id;
  }
  if (in.role) c->role = *in.role;
  if (in.handler) c->handler = *in.handler;
  if (in.description) c->description = *in.description;
  if (in.timeout) c->timeout_s = static_cast<int>(*in.timeout);
  if (in.memory_size) c->memory_mb = static_cast<int>(*in.memory_size);
  if (in.ephemeral_storage) c->ephemeral_mb = static_cast<int>(*in.ephemeral_storage);
  if (in.environment) {
    KINDLING_RETURN_IF_ERROR(CheckEnvironmentKeys(*in.environment));
    KINDLING_RETURN_IF_ERROR(CheckEnvironmentSize(*in.environment));
    c->environment = *in.environment;
  }
  if (in.tracing_mode) c->tracing_mode = *in.tracing_mode;
  if (in.log_format) c->log_format = *in.log_format;
  if (in.log_group) c->log_group = *in.log_group;
  if (in.application_log_level) c->application_log_level = *in.application_log_level;
  if (in.system_log_level) c->system_log_level = *in.system_log_level;
  if (c->log_format == "JSON") {
    if (c->application_log_level.empty()) c->application_log_level = "INFO";
    if (c->system_log_level.empty()) c->system_log_level = "INFO";
  } else if (in.application_log_level || in.system_log_level) {
    return InvalidParameter("Log levels are supported only with the JSON log format.");
  }
  if (in.layers && !in.layers->empty()) {
    return InvalidParameter("Layers are not supported by kindling yet.");
  }
  // Passthrough fields: the caller's keys replace stored ones.
  json::error_code ec;
  json::value given = json::parse(in.passthrough_json, ec);
  if (!ec && given.is_object() && !given.as_object().empty()) {
    json::value stored = json::parse(c->passthrough_json, ec);
    json::object merged = (!ec && stored.is_object()) ? stored.as_object() : json::object();
    for (const auto& kv : given.as_object()) merged[kv.key()] = kv.value();
    c->passthrough_json = json::serialize(merged);
  }
  if (creating || in.runtime || in.handler) {
    if (c->runtime.empty() || c->handler.empty()) {
      return InvalidParameter(
          "Runtime and Handler are mandatory parameters for functions created with deployment "
          "packages.");
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<const FunctionConfig>> FunctionService::CreateFunction(
    CreateFunctionInput in) {
  KINDLING_ASSIGN_OR_RETURN(auto ref, ParseFunctionName(in.function_name, std::nullopt, account_,
                                                        QualifierRule::kAllowed));
  Validator v;
  if (ref.qualifier) {
    v.Pattern("functionName", in.function_name, false,
              "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
              "(function:)?([a-zA-Z0-9-_]+)");
  }
  if (!in.config.role) v.Fail("Value null at 'role' failed to satisfy constraint: Member must "
                              "not be null");
  ValidateConfigFields(in.config, &v);
  v.Enum("packageType", in.package_type, {"Zip", "Image"});
  KINDLING_RETURN_IF_ERROR(v.Finish());
  if (in.package_type == "Image") {
    return InvalidParameter("PackageType Image is not supported by kindling; deploy a .zip "
                            "package with a runtime.");
  }
  KINDLING_RETURN_IF_ERROR(CheckCodeSources(in.unsupported_code_sources));
  KINDLING_RETURN_IF_ERROR(CheckArchitectures(in.architectures));
  KINDLING_RETURN_IF_ERROR(CheckTags(in.tags));

  auto cfg = std::make_shared<FunctionConfig>();
  cfg->name = ref.name;
  cfg->log_group = "/aws/lambda/" + ref.name;
  KINDLING_RETURN_IF_ERROR(ApplyConfig(in.config, cfg.get(), /*creating=*/true));
  if (current_->Find(ref.name)) return Conflict("Function already exist: " + ref.name);
  if (!in.zip_file) {
    return InvalidParameter("Please provide a source for function code: Code.ZipFile.");
  }
  KINDLING_ASSIGN_OR_RETURN(auto code, code_->Put(*in.zip_file));
  cfg->code = {code.sha256_base64, code.sha256_hex, code.zip_size};
  if (in.architectures) cfg->architecture = (*in.architectures)[0];
  cfg->revision_id = NewUuid();
  cfg->last_modified = FormatLambdaTimestamp(clock_->WallMillis());

  auto rec = std::make_shared<FunctionRecord>();
  rec->latest = cfg;
  rec->tags = in.tags;
  store::WriteBatch batch;
  // The function row first: versions reference it.
  batch.PutFunction(ref.name, rec->MetaToStoredJson());
  batch.PutVersion(ref.name, std::string(kLatest), cfg->ToStoredJson());
  std::shared_ptr<const FunctionConfig> result = cfg;
  if (in.publish) {
    KINDLING_ASSIGN_OR_RETURN(result, PublishLocked(rec.get(), std::nullopt, &batch));
  }
  KINDLING_RETURN_IF_ERROR(Save(ref.name, rec, batch));
  return result;
}

Result<Resolved> FunctionService::GetFunction(const FunctionRef& ref) const {
  return current_->Resolve(ref, account_);
}

Result<std::shared_ptr<const FunctionConfig>> FunctionService::UpdateFunctionCode(
    const std::string& name, UpdateCodeInput in) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  KINDLING_RETURN_IF_ERROR(CheckRevision(in.revision_id, old->latest->revision_id));
  KINDLING_RETURN_IF_ERROR(CheckCodeSources(in.unsupported_code_sources));
  KINDLING_RETURN_IF_ERROR(CheckArchitectures(in.architectures));
  if (!in.zip_file) {
    return InvalidParameter("Please provide a source for function code: ZipFile.");
  }
  KINDLING_ASSIGN_OR_RETURN(auto code, code_->Put(*in.zip_file));
  auto cfg = std::make_shared<FunctionConfig>(*old->latest);
  cfg->code = {code.sha256_base64, code.sha256_hex, code.zip_size};
  if (in.architectures) cfg->architecture = (*in.architectures)[0];
  if (in.dry_run) return std::shared_ptr<const FunctionConfig>(cfg);
  cfg->revision_id = NewUuid();
  cfg->last_modified = FormatLambdaTimestamp(clock_->WallMillis());
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->latest = cfg;
  store::WriteBatch batch;
  std::shared_ptr<const FunctionConfig> result = cfg;
  if (in.publish) {
    KINDLING_ASSIGN_OR_RETURN(result, PublishLocked(rec.get(), std::nullopt, &batch));
  }
  batch.PutVersion(name, std::string(kLatest), cfg->ToStoredJson());
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return result;
}

Result<std::shared_ptr<const FunctionConfig>> FunctionService::UpdateFunctionConfiguration(
    const std::string& name, UpdateConfigInput in) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  Validator v;
  ValidateConfigFields(in.config, &v);
  KINDLING_RETURN_IF_ERROR(v.Finish());
  KINDLING_RETURN_IF_ERROR(CheckRevision(in.revision_id, old->latest->revision_id));
  auto cfg = std::make_shared<FunctionConfig>(*old->latest);
  KINDLING_RETURN_IF_ERROR(ApplyConfig(in.config, cfg.get(), /*creating=*/false));
  cfg->revision_id = NewUuid();
  cfg->last_modified = FormatLambdaTimestamp(clock_->WallMillis());
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->latest = cfg;
  store::WriteBatch batch;
  batch.PutVersion(name, std::string(kLatest), cfg->ToStoredJson());
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return std::shared_ptr<const FunctionConfig>(cfg);
}

Status FunctionService::DeleteFunction(const FunctionRef& ref) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(ref.name));
  store::WriteBatch batch;
  if (!ref.qualifier) {
    batch.DeleteFunction(ref.name);
    return Save(ref.name, nullptr, batch);
  }
  const std::string& q = *ref.qualifier;
  if (q == kLatest) {
    return InvalidParameter("$LATEST version cannot be deleted without deleting the function.");
  }
  if (!IsVersionNumber(q)) {
    return InvalidParameter("Deletion of aliases is not supported. Use DeleteAlias to delete "
                            "alias " + q + ".");
  }
  int64_t n = *ParseInt(q);
  if (!old->versions.count(n)) return FunctionNotFound(account_, ref.name, q);
  std::vector<std::string> users;
  for (const auto& [alias_name, alias] : old->aliases) {
    if (alias.function_version == q || alias.additional_weights.count(q)) users.push_back(alias_name);
  }
  if (!users.empty()) {
    std::string list;
    for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
    return Conflict("Unable to delete version because the following aliases reference it: [" +
                    list + "]");
  }
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->versions.erase(n);
  if (rec->provisioned.erase(q)) batch.PutFunction(ref.name, rec->MetaToStoredJson());
  batch.DeleteVersion(ref.name, q);
  KINDLING_RETURN_IF_ERROR(Save(ref.name, rec, batch));
  return Status::Ok();
}

Result<Page<std::shared_ptr<const FunctionConfig>>> FunctionService::ListFunctions(
    const ListInput& in, bool all_versions) const {
  std::vector<std::shared_ptr<const FunctionConfig>> all;
  for (const auto& [name, rec] : current_->functions()) {
    all.push_back(rec->latest);
    if (all_versions) {
      for (const auto& [n, cfg] : rec->versions) all.push_back(cfg);
    }
  }
  return Paginate(all, [](const auto& c) { return VersionKey(*c); }, in);
}

Result<std::shared_ptr<FunctionConfig>> FunctionService::NewVersionOf(
    const FunctionConfig& latest, int64_t number, const std::optional<std::string>& desc) {
  auto v = std::make_shared<FunctionConfig>(latest);
  v->version = std::to_string(number);
  v->source_revision_id = latest.revision_id;
  v->revision_id = NewUuid();
  v->last_modified = FormatLambdaTimestamp(clock_->WallMillis());
  if (desc) v->description = *desc;
  return v;
}

Result<std::shared_ptr<const FunctionConfig>> FunctionService::PublishLocked(
    FunctionRecord* rec, const std::optional<std::string>& desc, store::WriteBatch* batch) {
  if (!rec->versions.empty()) {
    const auto& newest = rec->versions.rbegin()->second;
    if (newest->source_revision_id == rec->latest->revision_id) return newest;
  }
  int64_t n = rec->last_version + 1;
  KINDLING_ASSIGN_OR_RETURN(auto v, NewVersionOf(*rec->latest, n, desc));
  rec->versions[n] = v;
  rec->last_version = n;
  batch->PutVersion(rec->latest->name, v->version, v->ToStoredJson());
  batch->PutFunction(rec->latest->name, rec->MetaToStoredJson());
  return std::shared_ptr<const FunctionConfig>(v);
}

Result<std::shared_ptr<const FunctionConfig>> FunctionService::PublishVersion(
    const std::string& name, PublishInput in) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  if (in.description) {
    Validator v;
    v.Length("description", *in.description, 0, 256);
    KINDLING_RETURN_IF_ERROR(v.Finish());
  }
  if (in.code_sha256 && *in.code_sha256 != old->latest->code.sha256_base64) {
    return InvalidParameter("CodeSHA256 (" + *in.code_sha256 +
                            ") is different from current CodeSHA256 in $LATEST (" +
                            old->latest->code.sha256_base64 +
                            "). Please try again with the CodeSHA256 in $LATEST.");
  }
  KINDLING_RETURN_IF_ERROR(CheckRevision(in.revision_id, old->latest->revision_id));
  auto rec = std::make_shared<FunctionRecord>(*old);
  store::WriteBatch batch;
  KINDLING_ASSIGN_OR_RETURN(auto v, PublishLocked(rec.get(), in.description, &batch));
  if (batch.empty()) return v;  // nothing changed since the newest version
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return v;
}

Result<Page<std::shared_ptr<const FunctionConfig>>> FunctionService::ListVersions(
    const std::string& name, const ListInput& in) const {
  KINDLING_ASSIGN_OR_RETURN(auto rec, FindRecord(name));
  std::vector<std::shared_ptr<const FunctionConfig>> all{rec->latest};
  for (const auto& [n, cfg] : rec->versions) all.push_back(cfg);
  return Paginate(all, [](const auto& c) { return VersionKey(*c); }, in);
}

Status FunctionService::ValidateAliasTarget(const FunctionRecord& rec,
                                            const std::string& version) const {
  if (version == kLatest) return Status::Ok();
  if (!IsVersionNumber(version)) {
    return ValidationError("1 validation error detected: Value '" + version +
                           "' at 'functionVersion' failed to satisfy constraint: Member must "
                           "satisfy regular expression pattern: (\\$LATEST|[0-9]+)");
  }
  if (!rec.versions.count(*ParseInt(version))) {
    return FunctionNotFound(account_, rec.name(), version);
  }
  return Status::Ok();
}

Status FunctionService::ValidateRouting(const FunctionRecord& rec, const std::string& primary,
                                        const std::map<std::string, double>& weights) const {
  if (weights.size() > 1) {
    return InvalidParameter("Number of items in AdditionalVersionWeights cannot be greater "
                            "than 1");
  }
  for (const auto& [version, weight] : weights) {
    if (weight < 0.0 || weight > 1.0) {
      return ValidationError("1 validation error detected: Value '" + std::to_string(weight) +
                             "' at 'routingConfig.additionalVersionWeights' failed to satisfy "
                             "constraint: Map value must satisfy constraint: [Member must have "
                             "value less than or equal to 1.0, Member must have value greater "
                             "than or equal to 0.0]");
    }
    if (!IsVersionNumber(version)) {
      return InvalidParameter("Invalid function version " + version +
                              ". Function version must be a number.");
    }
    if (version == primary) {
      return InvalidParameter("Invalid function version " + version +
                              ". Function version " + version +
                              " is already included in routing configuration.");
    }
    if (primary == kLatest) {
      return InvalidParameter("$LATEST is not supported for an alias pointing to more than 1 "
                              "version");
    }
    KINDLING_RETURN_IF_ERROR(ValidateAliasTarget(rec, version));
  }
  return Status::Ok();
}

Result<AliasConfig> FunctionService::CreateAlias(const std::string& name,
                                                 const std::string& alias, AliasInput in) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  Validator v;
  v.Length("name", alias, 1, 128);
  if (!alias.empty() && alias.size() <= 128) {
    v.Pattern("name", alias, IsValidAliasName(alias), "(?!^[0-9]+$)([a-zA-Z0-9-_]+)");
  }
  if (!in.function_version) {
    v.Fail("Value null at 'functionVersion' failed to satisfy constraint: Member must not be "
           "null");
  }
  if (in.description) v.Length("description", *in.description, 0, 256);
  KINDLING_RETURN_IF_ERROR(v.Finish());
  KINDLING_RETURN_IF_ERROR(ValidateAliasTarget(*old, *in.function_version));
  if (in.additional_weights) {
    KINDLING_RETURN_IF_ERROR(ValidateRouting(*old, *in.function_version, *in.additional_weights));
  }
  if (old->aliases.count(alias)) {
    return Conflict("Alias already exists: " + QualifiedArn(account_, name, alias));
  }
  AliasConfig a;
  a.name = alias;
  a.function_version = *in.function_version;
  a.description = in.description.value_or("");
  a.revision_id = NewUuid();
  if (in.additional_weights) a.additional_weights = *in.additional_weights;
  KINDLING_RETURN_IF_ERROR(SaveAlias(*old, a));
  return a;
}

Result<AliasConfig> FunctionService::GetAlias(const std::string& name,
                                              const std::string& alias) const {
  KINDLING_ASSIGN_OR_RETURN(auto rec, FindRecord(name));
  auto it = rec->aliases.find(alias);
  if (it == rec->aliases.end()) return AliasNotFound(account_, name, alias, /*get=*/true);
  return it->second;
}

Result<AliasConfig> FunctionService::UpdateAlias(const std::string& name,
                                                 const std::string& alias, AliasInput in) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  auto it = old->aliases.find(alias);
  if (it == old->aliases.end()) return AliasNotFound(account_, name, alias, /*get=*/false);
  KINDLING_RETURN_IF_ERROR(CheckRevision(in.revision_id, it->second.revision_id, true));
  AliasConfig a = it->second;
  if (in.description) {
    Validator v;
    v.Length("description", *in.description, 0, 256);
    KINDLING_RETURN_IF_ERROR(v.Finish());
    a.description = *in.description;
  }
  if (in.function_version) {
    KINDLING_RETURN_IF_ERROR(ValidateAliasTarget(*old, *in.function_version));
    a.function_version = *in.function_version;
  }
  if (in.additional_weights) a.additional_weights = *in.additional_weights;
  KINDLING_RETURN_IF_ERROR(ValidateRouting(*old, a.function_version, a.additional_weights));
  a.revision_id = NewUuid();
  KINDLING_RETURN_IF_ERROR(SaveAlias(*old, a));
  return a;
}

Status FunctionService::DeleteAlias(const std::string& name, const std::string& alias) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  if (!old->aliases.count(alias)) return AliasNotFound(account_, name, alias, /*get=*/false);
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->aliases.erase(alias);
  store::WriteBatch batch;
  if (rec->provisioned.erase(alias)) batch.PutFunction(name, rec->MetaToStoredJson());
  batch.DeleteAlias(name, alias);
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return Status::Ok();
}

Result<Page<AliasConfig>> FunctionService::ListAliases(
    const std::string& name, const std::optional<std::string>& function_version,
    const ListInput& in) const {
  KINDLING_ASSIGN_OR_RETURN(auto rec, FindRecord(name));
  std::vector<AliasConfig> all;
  for (const auto& [n, a] : rec->aliases) {
    if (!function_version || a.function_version == *function_version) all.push_back(a);
  }
  return Paginate(all, [](const AliasConfig& a) { return a.name; }, in);
}

Status FunctionService::TagResource(const std::string& name,
                                    const std::map<std::string, std::string>& tags) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  auto rec = std::make_shared<FunctionRecord>(*old);
  for (const auto& [k, v] : tags) rec->tags[k] = v;
  KINDLING_RETURN_IF_ERROR(CheckTags(rec->tags));
  store::WriteBatch batch;
  batch.PutFunction(name, rec->MetaToStoredJson());
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return Status::Ok();
}

Status FunctionService::UntagResource(const std::string& name,
                                      const std::vector<std::string>& keys) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  auto rec = std::make_shared<FunctionRecord>(*old);
  for (const auto& k : keys) rec->tags.erase(k);
  store::WriteBatch batch;
  batch.PutFunction(name, rec->MetaToStoredJson());
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return Status::Ok();
}

Result<std::map<std::string, std::string>> FunctionService::ListTags(
    const std::string& name) const {
  KINDLING_ASSIGN_OR_RETURN(auto rec, FindRecord(name));
  return rec->tags;
}

Status ProvisionedConfigNotFound() {
  return Status(ErrorCode::kNotFound, "No Provisioned Concurrency Config found for this function",
                "ProvisionedConcurrencyConfigNotFoundException");
}

Result<int64_t> FunctionService::PutFunctionConcurrency(const std::string& name,
                                                        int64_t reserved) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  Validator v;
  v.Range("reservedConcurrentExecutions", reserved, 0, concurrency_limit_);
  KINDLING_RETURN_IF_ERROR(v.Finish());
  int64_t others = current_->reserved_total() - old->reserved_concurrency.value_or(0);
  if (concurrency_limit_ - others - reserved < MinimumUnreserved()) {
    return InvalidParameter("Specified ReservedConcurrentExecutions for function decreases "
                            "account's UnreservedConcurrentExecution below its minimum value of [" +
                            std::to_string(MinimumUnreserved()) + "].");
  }
  int64_t provisioned = 0;
  for (const auto& [q, p] : old->provisioned) provisioned += p.requested;
  if (provisioned > reserved) {
    return InvalidParameter("Specified ReservedConcurrentExecutions for function is less than the "
                            "function's provisioned concurrency (" + std::to_string(provisioned) +
                            ").");
  }
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->reserved_concurrency = reserved;
  store::WriteBatch batch;
  batch.PutFunction(name, rec->MetaToStoredJson());
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return reserved;
}

Result<std::optional<int64_t>> FunctionService::GetFunctionConcurrency(
    const std::string& name) const {
  KINDLING_ASSIGN_OR_RETURN(auto rec, FindRecord(name));
  return rec->reserved_concurrency;
}

Status FunctionService::DeleteFunctionConcurrency(const std::string& name) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->reserved_concurrency.reset();
  store::WriteBatch batch;
  batch.PutFunction(name, rec->MetaToStoredJson());
  return Save(name, rec, batch);
}

Result<ProvisionedConfig> FunctionService::PutProvisionedConcurrency(const std::string& name,
                                                                     const std::string& qualifier,
                                                                     int64_t requested) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  Validator v;
  v.Range("provisionedConcurrentExecutions", requested, 1, concurrency_limit_);
  KINDLING_RETURN_IF_ERROR(v.Finish());
  if (qualifier == kLatest) {
    return InvalidParameter("Provisioned Concurrency Configs cannot be applied to unpublished "
                            "function versions.");
  }
  if (!old->ProvisionedTarget(qualifier)) return FunctionNotFound(account_, name, qualifier);
  int64_t others = 0;
  for (const auto& [q, p] : old->provisioned) {
    if (q != qualifier) others += p.requested;
  }
  int64_t room = old->reserved_concurrency
                     ? *old->reserved_concurrency
                     : concurrency_limit_ - current_->reserved_total() - MinimumUnreserved();
  if (others + requested > room) {
    return InvalidParameter(old->reserved_concurrency
                                ? "Requested Provisioned Concurrency should not be greater than "
                                  "the reservedConcurrentExecution for function"
                                : "Requested Provisioned Concurrency exceeds the account's "
                                  "unreserved concurrency (" + std::to_string(room) + " available)");
  }
  auto rec = std::make_shared<FunctionRecord>(*old);
  ProvisionedConfig pc{requested, FormatLambdaTimestamp(clock_->WallMillis())};
  rec->provisioned[qualifier] = pc;
  store::WriteBatch batch;
  batch.PutFunction(name, rec->MetaToStoredJson());
  KINDLING_RETURN_IF_ERROR(Save(name, rec, batch));
  return pc;
}

Result<ProvisionedConfig> FunctionService::GetProvisionedConcurrency(
    const std::string& name, const std::string& qualifier) const {
  KINDLING_ASSIGN_OR_RETURN(auto rec, FindRecord(name));
  auto it = rec->provisioned.find(qualifier);
  if (it == rec->provisioned.end()) return ProvisionedConfigNotFound();
  return it->second;
}

Status FunctionService::DeleteProvisionedConcurrency(const std::string& name,
                                                     const std::string& qualifier) {
  KINDLING_ASSIGN_OR_RETURN(auto old, FindRecord(name));
  if (!old->provisioned.count(qualifier)) return ProvisionedConfigNotFound();
  auto rec = std::make_shared<FunctionRecord>(*old);
  rec->provisioned.erase(qualifier);
  store::WriteBatch batch;
  batch.PutFunction(name, rec->MetaToStoredJson());
  return Save(name, rec, batch);
}

AccountUsage FunctionService::Usage() const {
  AccountUsage u;
  for (const auto& [name, rec] : current_->functions()) {
    ++u.function_count;
    u.total_code_size += rec->latest->code.size;
    for (const auto& [n, cfg] : rec->versions) u.total_code_size += cfg->code.size;
  }
  return u;
}

}  // namespace kindling::control
