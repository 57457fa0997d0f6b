// The control-plane operations of LambdaApi. Each runs on the control thread: it decodes the
// request, calls the FunctionService, and encodes the answer in Lambda's wire format.
#include <boost/json.hpp>

#include "api/lambda_api.h"
#include "api/wire.h"
#include "observe/log_store.h"
#include "runtime/dispatcher.h"
#include "store/code_store.h"
#include "util/strings.h"

namespace kindling::api {

namespace json = boost::json;

namespace {

http::Response JsonResponse(unsigned status, const json::value& v) {
  return http::MakeResponse(status, json::serialize(v));
}

http::Response NoContent() { return http::MakeResponse(204, "", ""); }

control::ListInput ListParams(const ApiRequest& r, Status* error) {
  control::ListInput in;
  in.marker = r.Query("Marker");
  if (auto m = r.Query("MaxItems")) {
    auto v = ParseInt(*m);
    if (!v) {
      *error = ValidationError("1 validation error detected: Value '" + *m +
                               "' at 'maxItems' failed to satisfy constraint: Member must be a "
                               "number");
    } else {
      in.max_items = *v;
    }
  }
  return in;
}

template <typename T, typename F>
json::array ToArray(const std::vector<T>& items, F f) {
  json::array a;
  for (const auto& i : items) a.push_back(f(i));
  return a;
}

}  // namespace

Result<std::string> LambdaApi::UnqualifiedName(const std::string& input) const {
  KINDLING_ASSIGN_OR_RETURN(auto ref, control::ParseFunctionName(input, std::nullopt, ctx_.account,
                                                                 control::QualifierRule::kForbidden));
  return ref.name;
}

Result<http::Response> LambdaApi::CreateFunction(const ApiRequest& r) {
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  KINDLING_ASSIGN_OR_RETURN(auto in, ParseCreateFunction(body));
  KINDLING_ASSIGN_OR_RETURN(auto cfg, ctx_.functions->CreateFunction(std::move(in)));
  return JsonResponse(201, FunctionConfigJson(*cfg, ctx_.account, ConfigView::kDetail));
}

Result<http::Response> LambdaApi::GetFunction(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto ref, control::ParseFunctionName(fn, r.Query("Qualifier"),
                                                                 ctx_.account,
                                                                 control::QualifierRule::kAllowed));
  KINDLING_ASSIGN_OR_RETURN(auto res, ctx_.functions->GetFunction(ref));
  json::object o;
  o["Configuration"] = FunctionConfigJson(*res.config, ctx_.account, ConfigView::kDetail);
  o["Code"] = {{"RepositoryType", "S3"},
               {"Location", "http://" + r.Host() + "/kindling/v1/code/" +
                                res.config->code.sha256_hex}};
  if (!res.record->tags.empty()) {
    json::object tags;
    for (const auto& [k, v] : res.record->tags) tags[k] = v;
    o["Tags"] = std::move(tags);
  }
  if (res.record->reserved_concurrency) {
    o["Concurrency"] = {{"ReservedConcurrentExecutions", *res.record->reserved_concurrency}};
  }
  return JsonResponse(200, o);
}

Result<http::Response> LambdaApi::GetFunctionConfiguration(const ApiRequest& r,
                                                           const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto ref, control::ParseFunctionName(fn, r.Query("Qualifier"),
                                                                 ctx_.account,
                                                                 control::QualifierRule::kAllowed));
  KINDLING_ASSIGN_OR_RETURN(auto res, ctx_.functions->GetFunction(ref));
  return JsonResponse(200, FunctionConfigJson(*res.config, ctx_.account, ConfigView::kDetail));
}

Result<http::Response> LambdaApi::UpdateFunctionCode(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  KINDLING_ASSIGN_OR_RETURN(auto in, ParseUpdateCode(body));
  KINDLING_ASSIGN_OR_RETURN(auto cfg, ctx_.functions->UpdateFunctionCode(name, std::move(in)));
  return JsonResponse(200, FunctionConfigJson(*cfg, ctx_.account, ConfigView::kDetail));
}

Result<http::Response> LambdaApi::UpdateFunctionConfiguration(const ApiRequest& r,
                                                              const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  KINDLING_ASSIGN_OR_RETURN(auto in, ParseUpdateConfig(body));
  KINDLING_ASSIGN_OR_RETURN(auto cfg,
                            ctx_.functions->UpdateFunctionConfiguration(name, std::move(in)));
  return JsonResponse(200, FunctionConfigJson(*cfg, ctx_.account, ConfigView::kDetail));
}

Result<http::Response> LambdaApi::DeleteFunction(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto ref, control::ParseFunctionName(fn, r.Query("Qualifier"),
                                                                 ctx_.account,
                                                                 control::QualifierRule::kAllowed));
  KINDLING_RETURN_IF_ERROR(ctx_.functions->DeleteFunction(ref));
  return NoContent();
}

Result<http::Response> LambdaApi::ListFunctions(const ApiRequest& r) {
  Status err;
  auto in = ListParams(r, &err);
  KINDLING_RETURN_IF_ERROR(err);
  auto version = r.Query("FunctionVersion");
  if (version && *version != "ALL") {
    return ValidationError("1 validation error detected: Value '" + *version +
                           "' at 'functionVersion' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [ALL]");
  }
  bool all = version.has_value();
  KINDLING_ASSIGN_OR_RETURN(auto page, ctx_.functions->ListFunctions(in, all));
  json::object o;
  o["Functions"] = ToArray(page.items, [&](const auto& c) {
    return FunctionConfigJson(*c, ctx_.account, all ? ConfigView::kListQualified : ConfigView::kList);
  });
  if (page.next_marker) o["NextMarker"] = *page.next_marker;
  return JsonResponse(200, o);
}

Result<http::Response> LambdaApi::PublishVersion(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  KINDLING_ASSIGN_OR_RETURN(auto in, ParsePublish(body));
  KINDLING_ASSIGN_OR_RETURN(auto cfg, ctx_.functions->PublishVersion(name, std::move(in)));
  return JsonResponse(201, FunctionConfigJson(*cfg, ctx_.account, ConfigView::kDetail));
}

Result<http::Response> LambdaApi::ListVersions(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  Status err;
  auto in = ListParams(r, &err);
  KINDLING_RETURN_IF_ERROR(err);
  KINDLING_ASSIGN_OR_RETURN(auto page, ctx_.functions->ListVersions(name, in));
  json::object o;
  o["Versions"] = ToArray(page.items, [&](const auto& c) {
    return FunctionConfigJson(*c, ctx_.account, ConfigView::kListQualified);
  });
  if (page.next_marker) o["NextMarker"] = *page.next_marker;
  return JsonResponse(200, o);
}

Result<http::Response> LambdaApi::CreateAlias(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  std::string alias;
  KINDLING_ASSIGN_OR_RETURN(auto in, ParseAlias(body, &alias));
  KINDLING_ASSIGN_OR_RETURN(auto a, ctx_.functions->CreateAlias(name, alias, std::move(in)));
  return JsonResponse(201, AliasJson(a, name, ctx_.account));
}

Result<http::Response> LambdaApi::GetAlias(const ApiRequest&, const std::string& fn,
                                           const std::string& alias) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto a, ctx_.functions->GetAlias(name, alias));
  return JsonResponse(200, AliasJson(a, name, ctx_.account));
}

Result<http::Response> LambdaApi::UpdateAlias(const ApiRequest& r, const std::string& fn,
                                              const std::string& alias) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  KINDLING_ASSIGN_OR_RETURN(auto in, ParseAlias(body, nullptr));
  KINDLING_ASSIGN_OR_RETURN(auto a, ctx_.functions->UpdateAlias(name, alias, std::move(in)));
  return JsonResponse(200, AliasJson(a, name, ctx_.account));
}

Result<http::Response> LambdaApi::DeleteAlias(const ApiRequest&, const std::string& fn,
                                              const std::string& alias) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_RETURN_IF_ERROR(ctx_.functions->DeleteAlias(name, alias));
  return NoContent();
}

Result<http::Response> LambdaApi::ListAliases(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  Status err;
  auto in = ListParams(r, &err);
  KINDLING_RETURN_IF_ERROR(err);
  KINDLING_ASSIGN_OR_RETURN(auto page,
                            ctx_.functions->ListAliases(name, r.Query("FunctionVersion"), in));
  json::object o;
  o["Aliases"] = ToArray(page.items, [&](const auto& a) { return AliasJson(a, name, ctx_.account); });
  if (page.next_marker) o["NextMarker"] = *page.next_marker;
  return JsonResponse(200, o);
}

namespace {

// Tags name the function by its unqualified ARN.
Result<std::string> TaggedFunction(const std::string& arn, const control::Account& account) {
  if (arn.rfind("arn:", 0) != 0) {
    return ValidationError("1 validation error detected: Value '" + arn +
                           "' at 'resource' failed to satisfy constraint: Member must satisfy "
                           "regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|"
                           "(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:("
                           "\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:"
                           "csc-[a-z0-9]{17}|event-source-mapping:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]"
                           "{4}-[0-9a-f]{4}-[0-9a-f]{12})");
  }
  KINDLING_ASSIGN_OR_RETURN(auto ref, control::ParseFunctionName(arn, std::nullopt, account,
                                                                 control::QualifierRule::kAllowed));
  if (ref.qualifier) {
    return InvalidParameter("Tags on function aliases and versions are not supported. Please "
                            "specify a function ARN.");
  }
  return ref.name;
}

}  // namespace

Result<http::Response> LambdaApi::TagResource(const ApiRequest& r, const std::string& arn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, TaggedFunction(arn, ctx_.account));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  KINDLING_ASSIGN_OR_RETURN(auto tags, ParseTags(body));
  KINDLING_RETURN_IF_ERROR(ctx_.functions->TagResource(name, tags));
  return NoContent();
}

Result<http::Response> LambdaApi::UntagResource(const ApiRequest& r, const std::string& arn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, TaggedFunction(arn, ctx_.account));
  KINDLING_RETURN_IF_ERROR(ctx_.functions->UntagResource(name, r.QueryAll("tagKeys")));
  return NoContent();
}

Result<http::Response> LambdaApi::ListTags(const ApiRequest&, const std::string& arn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, TaggedFunction(arn, ctx_.account));
  KINDLING_ASSIGN_OR_RETURN(auto tags, ctx_.functions->ListTags(name));
  json::object t;
  for (const auto& [k, v] : tags) t[k] = v;
  return JsonResponse(200, json::object{{"Tags", std::move(t)}});
}

Result<http::Response> LambdaApi::GetAccountSettings(const ApiRequest&) {
  auto usage = ctx_.functions->Usage();
  json::object limit{{"TotalCodeSize", 80530636800LL},
                     {"CodeSizeUnzipped", 262144000},
                     {"CodeSizeZipped", 52428800},
                     {"ConcurrentExecutions", ctx_.max_concurrency},
                     {"UnreservedConcurrentExecutions",
                      ctx_.max_concurrency - ctx_.functions->registry()->reserved_total()}};
  json::object used{{"TotalCodeSize", usage.total_code_size},
                    {"FunctionCount", usage.function_count}};
  return JsonResponse(200, json::object{{"AccountLimit", std::move(limit)},
                                        {"AccountUsage", std::move(used)}});
}

Result<http::Response> LambdaApi::PutFunctionConcurrency(const ApiRequest& r,
                                                         const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  auto* v = body.if_contains("ReservedConcurrentExecutions");
  if (!v || !v->is_int64()) {
    return ValidationError("1 validation error detected: Value null at "
                           "'reservedConcurrentExecutions' failed to satisfy constraint: Member "
                           "must not be null");
  }
  KINDLING_ASSIGN_OR_RETURN(int64_t n, ctx_.functions->PutFunctionConcurrency(name, v->as_int64()));
  return JsonResponse(200, json::object{{"ReservedConcurrentExecutions", n}});
}

Result<http::Response> LambdaApi::GetFunctionConcurrency(const ApiRequest&, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_ASSIGN_OR_RETURN(auto n, ctx_.functions->GetFunctionConcurrency(name));
  json::object o;
  if (n) o["ReservedConcurrentExecutions"] = *n;
  return JsonResponse(200, o);
}

Result<http::Response> LambdaApi::DeleteFunctionConcurrency(const ApiRequest&,
                                                            const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  KINDLING_RETURN_IF_ERROR(ctx_.functions->DeleteFunctionConcurrency(name));
  return NoContent();
}

namespace {

// The provisioned-concurrency document, with the runtime's progress.
json::object ProvisionedJson(const control::ProvisionedConfig& pc,
                             const runtime::ProvisionedStatus& st) {
  json::object o;
  o["RequestedProvisionedConcurrentExecutions"] = pc.requested;
  int64_t ready = std::min(st.allocated, pc.requested);
  o["AvailableProvisionedConcurrentExecutions"] = ready;
  o["AllocatedProvisionedConcurrentExecutions"] = ready;
  o["Status"] = st.failed ? "FAILED" : ready >= pc.requested ? "READY" : "IN_PROGRESS";
  if (st.failed) o["StatusReason"] = st.reason;
  o["LastModified"] = pc.last_modified;
  return o;
}

}  // namespace

Result<http::Response> LambdaApi::PutProvisioned(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  auto qualifier = r.Query("Qualifier");
  if (!qualifier) {
    return ValidationError("1 validation error detected: Value null at 'qualifier' failed to "
                           "satisfy constraint: Member must not be null");
  }
  KINDLING_ASSIGN_OR_RETURN(auto body, ParseBody(r.http.body()));
  auto* v = body.if_contains("ProvisionedConcurrentExecutions");
  if (!v || !v->is_int64()) {
    return ValidationError("1 validation error detected: Value null at "
                           "'provisionedConcurrentExecutions' failed to satisfy constraint: Member "
                           "must not be null");
  }
  KINDLING_ASSIGN_OR_RETURN(
      auto pc, ctx_.functions->PutProvisionedConcurrency(name, *qualifier, v->as_int64()));
  auto rec = ctx_.functions->registry()->Find(name);
  auto target = rec ? rec->ProvisionedTarget(*qualifier) : nullptr;
  auto st = target ? ctx_.dispatcher->GetProvisionedStatus(target.get()) : runtime::ProvisionedStatus{};
  return JsonResponse(202, ProvisionedJson(pc, st));
}

Result<http::Response> LambdaApi::GetProvisioned(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  auto rec = ctx_.functions->registry()->Find(name);
  if (!rec) return control::FunctionNotFound(ctx_.account, name);
  if (r.Query("List") == std::optional<std::string>("ALL")) {
    json::array list;
    for (const auto& [q, pc] : rec->provisioned) {
      auto target = rec->ProvisionedTarget(q);
      auto st = target ? ctx_.dispatcher->GetProvisionedStatus(target.get())
                       : runtime::ProvisionedStatus{};
      json::object o = ProvisionedJson(pc, st);
      o["FunctionArn"] = control::QualifiedArn(ctx_.account, name, q);
      list.push_back(std::move(o));
    }
    return JsonResponse(200, json::object{{"ProvisionedConcurrencyConfigs", std::move(list)}});
  }
  auto qualifier = r.Query("Qualifier");
  if (!qualifier) return control::ProvisionedConfigNotFound();
  KINDLING_ASSIGN_OR_RETURN(auto pc, ctx_.functions->GetProvisionedConcurrency(name, *qualifier));
  auto target = rec->ProvisionedTarget(*qualifier);
  auto st = target ? ctx_.dispatcher->GetProvisionedStatus(target.get()) : runtime::ProvisionedStatus{};
  return JsonResponse(200, ProvisionedJson(pc, st));
}

Result<http::Response> LambdaApi::DeleteProvisioned(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  auto qualifier = r.Query("Qualifier");
  if (!qualifier) return control::ProvisionedConfigNotFound();
  KINDLING_RETURN_IF_ERROR(ctx_.functions->DeleteProvisionedConcurrency(name, *qualifier));
  return NoContent();
}

Result<http::Response> LambdaApi::GetLogs(const ApiRequest& r, const std::string& fn) {
  KINDLING_ASSIGN_OR_RETURN(auto name, UnqualifiedName(fn));
  int64_t since = ParseInt(r.Query("since").value_or("0")).value_or(0);
  int64_t after = ParseInt(r.Query("after").value_or("0")).value_or(0);
  int64_t limit = std::clamp<int64_t>(ParseInt(r.Query("limit").value_or("1000")).value_or(1000),
                                      1, 10000);
  KINDLING_ASSIGN_OR_RETURN(auto rows,
                            ctx_.logs->Query(name, since, after, static_cast<int>(limit)));
  if (rows.empty() && after == 0 && !ctx_.functions->registry()->Find(name)) {
    return control::FunctionNotFound(ctx_.account, name);
  }
  json::array events;
  int64_t last = after;
  for (const auto& e : rows) {
    events.push_back(json::object{{"id", e.id},
                                  {"timestamp", e.time_ms},
                                  {"logStreamName", e.stream},
                                  {"requestId", e.request_id},
                                  {"message", e.message}});
    last = e.id;
  }
  return JsonResponse(200, json::object{{"events", std::move(events)}, {"next", last}});
}

Result<http::Response> LambdaApi::DownloadCode(const ApiRequest&, const std::string& hex) {
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return NotFound("The resource you requested does not exist.");
  }
  auto zip = ctx_.code->ReadZip(hex);
  if (!zip.ok()) return NotFound("The resource you requested does not exist.");
  return http::MakeResponse(200, std::move(zip).value(), "application/zip");
}

}  // namespace kindling::api
