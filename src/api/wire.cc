#include "api/wire.h"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include "util/encoding.h"

namespace kindling::api {

namespace json = boost::json;

namespace {

Status BadField(std::string_view field, std::string_view expected) {
  return Status(ErrorCode::kInvalidRequestContent,
                "Could not parse request body into json: field '" + std::string(field) +
                    "' must be " + std::string(expected));
}

// Typed optional readers that reject wrong JSON types.
Status GetString(const json::object& o, const char* key, std::optional<std::string>* out) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_string()) return BadField(key, "a string");
  *out = std::string(v->as_string());
  return Status::Ok();
}

Status GetInt(const json::object& o, const char* key, std::optional<int64_t>* out) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (v->is_int64()) {
    *out = v->as_int64();
  } else if (v->is_uint64()) {
    *out = static_cast<int64_t>(std::min<uint64_t>(v->as_uint64(), INT64_MAX));
  } else if (v->is_double() && v->as_double() == static_cast<double>(static_cast<int64_t>(v->as_double()))) {
    *out = static_cast<int64_t>(v->as_double());
  } else {
    return BadField(key, "an integer");
  }
  return Status::Ok();
}

Status GetBool(const json::object& o, const char* key, bool* out) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_bool()) return BadField(key, "a boolean");
  *out = v->as_bool();
  return Status::Ok();
}

Status GetStringMap(const json::value& v, const char* key,
                    std::map<std::string, std::string>* out) {
  if (!v.is_object()) return BadField(key, "an object of strings");
  for (const auto& kv : v.as_object()) {
    if (!kv.value().is_string()) return BadField(key, "an object of strings");
    (*out)[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  return Status::Ok();
}

Status GetStringList(const json::object& o, const char* key,
                     std::optional<std::vector<std::string>>* out) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_array()) return BadField(key, "a list of strings");
  std::vector<std::string> list;
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return BadField(key, "a list of strings");
    list.emplace_back(x.as_string());
  }
  *out = std::move(list);
  return Status::Ok();
}

// Keys kindling stores and reports without acting on them.
constexpr const char* kPassthroughKeys[] = {"VpcConfig",   "DeadLetterConfig", "KMSKeyArn",
                                            "FileSystemConfigs", "ImageConfig", "SnapStart"};

Status ParseConfig(const json::object& o, control::ConfigInput* c) {
  KINDLING_RETURN_IF_ERROR(GetString(o, "Role", &c->role));
  KINDLING_RETURN_IF_ERROR(GetString(o, "Runtime", &c->runtime));
  KINDLING_RETURN_IF_ERROR(GetString(o, "Handler", &c->handler));
  KINDLING_RETURN_IF_ERROR(GetString(o, "Description", &c->description));
  KINDLING_RETURN_IF_ERROR(GetInt(o, "Timeout", &c->timeout));
  KINDLING_RETURN_IF_ERROR(GetInt(o, "MemorySize", &c->memory_size));
  if (auto* e = o.if_contains("EphemeralStorage"); e && !e->is_null()) {
    if (!e->is_object()) return BadField("EphemeralStorage", "an object");
    KINDLING_RETURN_IF_ERROR(GetInt(e->as_object(), "Size", &c->ephemeral_storage));
  }
  if (auto* e = o.if_contains("Environment"); e && !e->is_null()) {
    if (!e->is_object()) return BadField("Environment", "an object");
    std::map<std::string, std::string> vars;
    if (auto* v = e->as_object().if_contains("Variables"); v && !v->is_null()) {
      KINDLING_RETURN_IF_ERROR(GetStringMap(*v, "Environment.Variables", &vars));
    }
    c->environment = std::move(vars);
  }
  if (auto* t = o.if_contains("TracingConfig"); t && t->is_object()) {
    KINDLING_RETURN_IF_ERROR(GetString(t->as_object(), "Mode", &c->tracing_mode));
  }
  if (auto* l = o.if_contains("LoggingConfig"); l && l->is_object()) {
    const auto& lo = l->as_object();
    KINDLING_RETURN_IF_ERROR(GetString(lo, "LogFormat", &c->log_format));
    KINDLING_RETURN_IF_ERROR(GetString(lo, "LogGroup", &c->log_group));
    KINDLING_RETURN_IF_ERROR(GetString(lo, "ApplicationLogLevel", &c->application_log_level));
    KINDLING_RETURN_IF_ERROR(GetString(lo, "SystemLogLevel", &c->system_log_level));
  }
  KINDLING_RETURN_IF_ERROR(GetStringList(o, "Layers", &c->layers));
  json::object passthrough;
  for (const char* k : kPassthroughKeys) {
    if (auto* v = o.if_contains(k); v && !v->is_null()) passthrough[k] = *v;
  }
  c->passthrough_json = json::serialize(passthrough);
  return Status::Ok();
}

Status ParseCode(const json::object& code, std::optional<std::string>* zip,
                 std::vector<std::string>* unsupported) {
  std::optional<std::string> b64;
  KINDLING_RETURN_IF_ERROR(GetString(code, "ZipFile", &b64));
  if (b64) {
    auto bytes = Base64Decode(*b64);
    if (!bytes) {
      return Status(ErrorCode::kInvalidRequestContent,
                    "Could not parse request body into json: ZipFile is not valid base64");
    }
    *zip = std::move(*bytes);
  }
  for (const char* k : {"S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"}) {
    if (auto* v = code.if_contains(k); v && !v->is_null()) unsupported->push_back(k);
  }
  return Status::Ok();
}

// A basic_parser handler that accepts everything: validation without building a DOM.
struct NullHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t, json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

bool IsValidJson(std::string_view payload, std::string* error) {
  json::parse_options opts;
  opts.max_depth = 512;
  json::basic_parser<NullHandler> p(opts);
  json::error_code ec;
  size_t used = p.write_some(false, payload.data(), payload.size(), ec);
  if (!ec && !p.done()) ec = json::error::incomplete;
  if (!ec && used != payload.size()) ec = json::error::extra_data;
  if (ec && error) *error = ec.message();
  return !ec;
}

json::object FunctionConfigJson(const control::FunctionConfig& c, const control::Account& account,
                                ConfigView view) {
  json::object o;
  o["FunctionName"] = c.name;
  if (c.IsLatest() && view != ConfigView::kListQualified) {
    o["FunctionArn"] = control::FunctionArn(account, c.name);
  } else {
    o["FunctionArn"] = control::QualifiedArn(account, c.name, c.version);
  }
  o["Runtime"] = c.runtime;
  o["Role"] = c.role;
  o["Handler"] = c.handler;
  o["CodeSize"] = c.code.size;
  o["Description"] = c.description;
  o["Timeout"] = c.timeout_s;
  o["MemorySize"] = c.memory_mb;
  o["LastModified"] = c.last_modified;
  o["CodeSha256"] = c.code.sha256_base64;
  o["Version"] = c.version;
  if (c.environment) {
    json::object vars;
    for (const auto& [k, v] : *c.environment) vars[k] = v;
    json::object env;
    env["Variables"] = std::move(vars);
    o["Environment"] = std::move(env);
  }
  o["TracingConfig"] = {{"Mode", c.tracing_mode}};
  o["RevisionId"] = c.revision_id;
  if (view == ConfigView::kDetail) {
    o["State"] = "Active";
    o["LastUpdateStatus"] = "Successful";
  }
  o["PackageType"] = "Zip";
  o["Architectures"] = json::array{json::value(c.architecture)};
  o["EphemeralStorage"] = {{"Size", c.ephemeral_mb}};
  o["SnapStart"] = {{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}};
  json::object logging;
  logging["LogFormat"] = c.log_format;
  if (c.log_format == "JSON") {
    logging["ApplicationLogLevel"] = c.application_log_level;
    logging["SystemLogLevel"] = c.system_log_level;
  }
  logging["LogGroup"] = c.log_group;
  o["LoggingConfig"] = std::move(logging);
  if (view == ConfigView::kDetail) {
    o["RuntimeVersionConfig"] = {
        {"RuntimeVersionArn", "arn:aws:lambda:" + account.region + "::runtime:" + c.runtime}};
  }
  json::error_code ec;
  json::value extra = json::parse(c.passthrough_json, ec);
  if (!ec && extra.is_object()) {
    for (const auto& kv : extra.as_object()) {
      if (kv.key() != "SnapStart") o[kv.key()] = kv.value();
    }
  }
  return o;
}

json::object AliasJson(const control::AliasConfig& a, const std::string& function,
                       const control::Account& account) {
  json::object o;
  o["AliasArn"] = control::QualifiedArn(account, function, a.name);
  o["Name"] = a.name;
  o["FunctionVersion"] = a.function_version;
  o["Description"] = a.description;
  o["RevisionId"] = a.revision_id;
  if (!a.additional_weights.empty()) {
    json::object w;
    for (const auto& [k, v] : a.additional_weights) w[k] = v;
    o["RoutingConfig"] = {{"AdditionalVersionWeights", std::move(w)}};
  }
  return o;
}

Result<json::object> ParseBody(const std::string& body) {
  if (body.empty()) return json::object();
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 64;
  json::value v = json::parse(body, ec, {}, opts);
  if (ec) {
    return Status(ErrorCode::kInvalidRequestContent,
                  "Could not parse request body into json: " + ec.message());
  }
  if (!v.is_object()) {
    return Status(ErrorCode::kInvalidRequestContent,
                  "Could not parse request body into json: expected a JSON object");
  }
  return std::move(v.as_object());
}

Result<control::CreateFunctionInput> ParseCreateFunction(const json::object& o) {
  control::CreateFunctionInput in;
  std::optional<std::string> name;
  KINDLING_RETURN_IF_ERROR(GetString(o, "FunctionName", &name));
  if (!name) {
    return ValidationError("1 validation error detected: Value null at 'functionName' failed to "
                           "satisfy constraint: Member must not be null");
  }
  in.function_name = *name;
  KINDLING_RETURN_IF_ERROR(ParseConfig(o, &in.config));
  if (auto* code = o.if_contains("Code"); code && !code->is_null()) {
    if (!code->is_object()) return BadField("Code", "an object");
    KINDLING_RETURN_IF_ERROR(ParseCode(code->as_object(), &in.zip_file, &in.unsupported_code_sources));
  } else {
    return ValidationError("1 validation error detected: Value null at 'code' failed to "
                           "satisfy constraint: Member must not be null");
  }
  std::optional<std::string> package_type;
  KINDLING_RETURN_IF_ERROR(GetString(o, "PackageType", &package_type));
  if (package_type) in.package_type = *package_type;
  KINDLING_RETURN_IF_ERROR(GetStringList(o, "Architectures", &in.architectures));
  KINDLING_RETURN_IF_ERROR(GetBool(o, "Publish", &in.publish));
  if (auto* t = o.if_contains("Tags"); t && !t->is_null()) {
    KINDLING_RETURN_IF_ERROR(GetStringMap(*t, "Tags", &in.tags));
  }
  return in;
}

Result<control::UpdateConfigInput> ParseUpdateConfig(const json::object& o) {
  control::UpdateConfigInput in;
  KINDLING_RETURN_IF_ERROR(ParseConfig(o, &in.config));
  KINDLING_RETURN_IF_ERROR(GetString(o, "RevisionId", &in.revision_id));
  return in;
}

Result<control::UpdateCodeInput> ParseUpdateCode(const json::object& o) {
  control::UpdateCodeInput in;
  KINDLING_RETURN_IF_ERROR(ParseCode(o, &in.zip_file, &in.unsupported_code_sources));
  KINDLING_RETURN_IF_ERROR(GetStringList(o, "Architectures", &in.architectures));
  KINDLING_RETURN_IF_ERROR(GetBool(o, "Publish", &in.publish));
  KINDLING_RETURN_IF_ERROR(GetBool(o, "DryRun", &in.dry_run));
  KINDLING_RETURN_IF_ERROR(GetString(o, "RevisionId", &in.revision_id));
  return in;
}

Result<control::PublishInput> ParsePublish(const json::object& o) {
  control::PublishInput in;
  KINDLING_RETURN_IF_ERROR(GetString(o, "CodeSha256", &in.code_sha256));
  KINDLING_RETURN_IF_ERROR(GetString(o, "Description", &in.description));
  KINDLING_RETURN_IF_ERROR(GetString(o, "RevisionId", &in.revision_id));
  return in;
}

Result<control::AliasInput> ParseAlias(const json::object& o, std::string* name) {
  control::AliasInput in;
  if (name) {
    std::optional<std::string> n;
    KINDLING_RETURN_IF_ERROR(GetString(o, "Name", &n));
    if (!n) {
      return ValidationError("1 validation error detected: Value null at 'name' failed to "
                             "satisfy constraint: Member must not be null");
    }
    *name = *n;
  }
  KINDLING_RETURN_IF_ERROR(GetString(o, "FunctionVersion", &in.function_version));
  KINDLING_RETURN_IF_ERROR(GetString(o, "Description", &in.description));
  KINDLING_RETURN_IF_ERROR(GetString(o, "RevisionId", &in.revision_id));
  if (auto* r = o.if_contains("RoutingConfig"); r && !r->is_null()) {
    if (!r->is_object()) return BadField("RoutingConfig", "an object");
    std::map<std::string, double> weights;
    if (auto* w = r->as_object().if_contains("AdditionalVersionWeights"); w && !w->is_null()) {
      if (!w->is_object()) return BadField("AdditionalVersionWeights", "an object");
      for (const auto& kv : w->as_object()) {
        if (!kv.value().is_number()) return BadField("AdditionalVersionWeights", "numbers");
        weights[std::string(kv.key())] = kv.value().to_number<double>();
      }
    }
    in.additional_weights = std::move(weights);
  }
  return in;
}

Result<std::map<std::string, std::string>> ParseTags(const json::object& o) {
  std::map<std::string, std::string> tags;
  auto* t = o.if_contains("Tags");
  if (!t || t->is_null()) {
    return ValidationError("1 validation error detected: Value null at 'tags' failed to satisfy "
                           "constraint: Member must not be null");
  }
  KINDLING_RETURN_IF_ERROR(GetStringMap(*t, "Tags", &tags));
  return tags;
}

}  // namespace kindling::api
