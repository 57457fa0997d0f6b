#include "api/lambda_api.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "api/errors.h"
#include "api/wire.h"
#include "runtime/dispatcher.h"
#include "util/encoding.h"
#include "util/ids.h"
#include "util/strings.h"

namespace kindling::api {

namespace json = boost::json;

namespace {

constexpr uint64_t kMaxAsyncPayload = 1048576;  // Event invocations (spec §4.1)
constexpr uint64_t kMaxCodeRequest = 70167211;  // CreateFunction / UpdateFunctionCode
constexpr uint64_t kMaxControlRequest = 1 << 20;
constexpr size_t kMaxClientContext = 3583;

enum class Kind { kInvoke, kAsyncInvoke, kCode, kOther };

struct Shape {
  Kind kind;
  const char* operation;
};

// Classifies a request from its method and path before the body is read.
Shape Classify(const http::RequestHeader& h) {
  std::string_view t = h.target();
  t = t.substr(0, t.find('?'));
  if (h.method() == http::bhttp::verb::post) {
    if (t.size() > 12 && t.substr(t.size() - 12) == "/invocations") {
      return {Kind::kInvoke, "InvokeFunction"};
    }
    if (t.find("/invoke-async") != std::string_view::npos) {
      return {Kind::kAsyncInvoke, "InvokeAsync"};
    }
    if (t == "/2015-03-31/functions" || t == "/2015-03-31/functions/") {
      return {Kind::kCode, "CreateFunction"};
    }
  }
  if (h.method() == http::bhttp::verb::put && t.size() > 5 && t.substr(t.size() - 5) == "/code") {
    return {Kind::kCode, "UpdateFunctionCode"};
  }
  return {Kind::kOther, "request"};
}

bool IsEvent(const http::RequestHeader& h) {
  return h["X-Amz-Invocation-Type"] == "Event";
}

uint64_t LimitFor(const http::RequestHeader& h, const Shape& s) {
  switch (s.kind) {
    case Kind::kInvoke: return IsEvent(h) ? kMaxAsyncPayload : runtime::kMaxSyncPayload;
    case Kind::kAsyncInvoke: return kMaxAsyncPayload;
    case Kind::kCode: return kMaxCodeRequest;
    case Kind::kOther: return kMaxControlRequest;
  }
  return kMaxControlRequest;
}

http::Response Json(unsigned status, const json::value& v, const std::string& request_id) {
  http::Response res = http::MakeResponse(status, json::serialize(v));
  res.set("x-amzn-RequestId", request_id);
  return res;
}

http::Response Empty(unsigned status, const std::string& request_id) {
  http::Response res = http::MakeResponse(status, "", "");
  res.set("x-amzn-RequestId", request_id);
  return res;
}

// "Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0"
std::string NewTraceId() {
  char epoch[16];
  std::snprintf(epoch, sizeof(epoch), "%08llx",
                static_cast<unsigned long long>(time(nullptr)));
  return "Root=1-" + std::string(epoch) + "-" + RandomHex(12) + ";Parent=" + RandomHex(8) +
         ";Sampled=0";
}

Status NotImplementedOp(std::string_view what) {
  return Status(ErrorCode::kNotImplemented,
                "kindling does not implement " + std::string(what) + " yet.");
}

}  // namespace

std::optional<std::string> ApiRequest::Query(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ApiRequest::QueryAll(const std::string& key) const {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(key);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string ApiRequest::Host() const {
  std::string host(http[http::Field::host]);
  return host.empty() ? "127.0.0.1" : host;
}

http::BodyPolicy LambdaApi::OnHeader(const http::RequestHeader& header) {
  Shape s = Classify(header);
  uint64_t limit = LimitFor(header, s);
  // Bodies a little over the limit are read and dropped so the client sees the 413.
  uint64_t drain = s.kind == Kind::kCode ? kMaxCodeRequest + (8 << 20) : limit + (2 << 20);
  return {.limit = limit, .drain_limit = drain};
}

http::Response LambdaApi::OnBodyTooLarge(const http::RequestHeader& header) {
  Shape s = Classify(header);
  std::string msg = "Request must be smaller than " + std::to_string(LimitFor(header, s)) +
                    " bytes for the " + s.operation + " operation";
  return ErrorResponse(Status(ErrorCode::kRequestTooLarge, msg), NewUuid());
}

http::Response LambdaApi::OnBadRequest(std::string_view what) {
  return ErrorResponse(Status(ErrorCode::kInvalidRequestContent,
                              "Malformed HTTP request: " + std::string(what)),
                       NewUuid());
}

void LambdaApi::OnRequest(http::Request&& request, http::ResponseSink sink) {
  ApiRequest r;
  r.http = std::move(request);
  r.request_id = NewUuid();
  std::string_view target = r.http.target();
  auto qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  if (qpos != std::string_view::npos) {
    for (auto part : Split(target.substr(qpos + 1), '&')) {
      if (part.empty()) continue;
      auto eq = part.find('=');
      auto k = PercentDecode(part.substr(0, eq));
      auto v = PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1));
      if (k && v) r.query.emplace(*k, *v);
    }
  }
  for (auto seg : Split(path, '/')) {
    auto decoded = PercentDecode(seg);
    if (!decoded) {
      return sink.Send(ErrorResponse(ValidationError("Malformed percent-encoding in the path"),
                                     r.request_id));
    }
    r.segments.push_back(std::move(*decoded));
  }
  // "/a/b/" -> ["", "a", "b", ""]: drop the leading and trailing empties.
  if (!r.segments.empty() && r.segments.front().empty()) r.segments.erase(r.segments.begin());
  while (!r.segments.empty() && r.segments.back().empty()) r.segments.pop_back();

  const auto& s = r.segments;
  const auto m = r.http.method();
  using V = http::bhttp::verb;
  size_t n = s.size();
  auto control = [&](Op op) { OnControl(std::move(r), sink, std::move(op)); };

  if (n >= 2 && s[0] == "2015-03-31" && s[1] == "functions") {
    if (n == 2 && m == V::get) return control([this](auto& q) { return ListFunctions(q); });
    if (n == 2 && m == V::post) return control([this](auto& q) { return CreateFunction(q); });
    if (n >= 3) {
      std::string fn = s[2];
      if (n == 3 && m == V::get) {
        return control([this, fn](auto& q) { return GetFunction(q, fn); });
      }
      if (n == 3 && m == V::delete_) {
        return control([this, fn](auto& q) { return DeleteFunction(q, fn); });
      }
      if (n == 4) {
        const std::string& sub = s[3];
        if (sub == "invocations" && m == V::post) return Invoke(r, fn, sink, false);
        if (sub == "configuration" && m == V::get) {
          return control([this, fn](auto& q) { return GetFunctionConfiguration(q, fn); });
        }
        if (sub == "configuration" && m == V::put) {
          return control([this, fn](auto& q) { return UpdateFunctionConfiguration(q, fn); });
        }
        if (sub == "code" && m == V::put) {
          return control([this, fn](auto& q) { return UpdateFunctionCode(q, fn); });
        }
        if (sub == "versions" && m == V::post) {
          return control([this, fn](auto& q) { return PublishVersion(q, fn); });
        }
        if (sub == "versions" && m == V::get) {
          return control([this, fn](auto& q) { return ListVersions(q, fn); });
        }
        if (sub == "aliases" && m == V::post) {
          return control([this, fn](auto& q) { return CreateAlias(q, fn); });
        }
        if (sub == "aliases" && m == V::get) {
          return control([this, fn](auto& q) { return ListAliases(q, fn); });
        }
        if (sub == "policy") {
          return sink.Send(ErrorResponse(NotImplementedOp("resource policies"), r.request_id));
        }
      }
      if (n == 5 && s[3] == "aliases") {
        std::string alias = s[4];
        if (m == V::get) {
          return control([this, fn, alias](auto& q) { return GetAlias(q, fn, alias); });
        }
        if (m == V::put) {
          return control([this, fn, alias](auto& q) { return UpdateAlias(q, fn, alias); });
        }
        if (m == V::delete_) {
          return control([this, fn, alias](auto& q) { return DeleteAlias(q, fn, alias); });
        }
      }
      if (n == 5 && s[3] == "policy") {
        return sink.Send(ErrorResponse(NotImplementedOp("resource policies"), r.request_id));
      }
    }
  }
  if (n == 4 && s[0] == "2014-11-13" && s[1] == "functions" && s[3] == "invoke-async" &&
      m == V::post) {
    return Invoke(r, s[2], sink, true);
  }
  if (n == 2 && s[0] == "2016-08-19" && s[1] == "account-settings" && m == V::get) {
    return control([this](auto& q) { return GetAccountSettings(q); });
  }
  if (n == 4 && s[1] == "functions" && s[3] == "concurrency") {
    std::string fn = s[2];
    if (s[0] == "2017-10-31" && m == V::put) {
      return control([this, fn](auto& q) { return PutFunctionConcurrency(q, fn); });
    }
    if (s[0] == "2017-10-31" && m == V::delete_) {
      return control([this, fn](auto& q) { return DeleteFunctionConcurrency(q, fn); });
    }
    if (s[0] == "2019-09-30" && m == V::get) {
      return control([this, fn](auto& q) { return GetFunctionConcurrency(q, fn); });
    }
  }
  if (n == 4 && s[0] == "2019-09-30" && s[1] == "functions" && s[3] == "provisioned-concurrency") {
    std::string fn = s[2];
    if (m == V::put) return control([this, fn](auto& q) { return PutProvisioned(q, fn); });
    if (m == V::get) return control([this, fn](auto& q) { return GetProvisioned(q, fn); });
    if (m == V::delete_) return control([this, fn](auto& q) { return DeleteProvisioned(q, fn); });
  }
  if (n == 1 && s[0] == "metrics" && m == V::get) {
    http::Response res = http::MakeResponse(200, ctx_.dispatcher->RenderMetrics(),
                                            "text/plain; version=0.0.4");
    return sink.Send(std::move(res));
  }
  if (n == 3 && s[0] == "2017-03-31" && s[1] == "tags") {
    std::string arn = s[2];
    if (m == V::post) return control([this, arn](auto& q) { return TagResource(q, arn); });
    if (m == V::delete_) return control([this, arn](auto& q) { return UntagResource(q, arn); });
    if (m == V::get) return control([this, arn](auto& q) { return ListTags(q, arn); });
  }
  if (n >= 2 && s[0] == "kindling") {
    if (n == 2 && s[1] == "health" && m == V::get) {
      return sink.Send(Json(200, {{"status", "ok"}}, r.request_id));
    }
    if (n == 5 && s[1] == "v1" && s[2] == "functions" && s[4] == "logs" && m == V::get) {
      std::string fn = s[3];
      return control([this, fn](auto& q) { return GetLogs(q, fn); });
    }
    if (n == 4 && s[1] == "v1" && s[2] == "code" && m == V::get) {
      std::string hex = s[3];
      return control([this, hex](auto& q) { return DownloadCode(q, hex); });
    }
  }
  // Lambda operations kindling does not offer yet get a clear answer, not a 404.
  static const std::pair<const char*, const char*> kLater[] = {
      {"2019-09-25", "event invoke configuration"}, {"2021-10-31", "function URLs"},
      {"2021-11-15", "response streaming"},    {"2018-10-31", "layers"},
      {"2020-04-22", "code signing"},          {"2020-06-30", "code signing"}};
  for (const auto& [prefix, what] : kLater) {
    if (n >= 1 && s[0] == prefix) {
      return sink.Send(ErrorResponse(NotImplementedOp(what), r.request_id));
    }
  }
  if (n >= 2 && s[0] == "2015-03-31" && s[1] == "event-source-mappings") {
    return sink.Send(ErrorResponse(NotImplementedOp("event source mappings"), r.request_id));
  }
  http::Response res = Json(404, {{"message", "Unknown operation " + std::string(path)}},
                            r.request_id);
  res.set("x-amzn-ErrorType", "UnknownOperationException");
  sink.Send(std::move(res));
}

void LambdaApi::OnControl(ApiRequest req, http::ResponseSink sink, Op op) {
  auto shared = std::make_shared<ApiRequest>(std::move(req));
  boost::asio::post(*ctx_.control_loop, [shared, sink, op = std::move(op)] {
    Result<http::Response> r = Internal("no result");
    try {
      r = op(*shared);
    } catch (const std::exception& e) {
      spdlog::error("control operation {} failed: {}", std::string(shared->http.target()),
                    e.what());
      r = Internal(std::string("internal error: ") + e.what());
    }
    if (r.ok()) {
      r->set("x-amzn-RequestId", shared->request_id);
      sink.Send(std::move(*r));
    } else {
      if (r.status().code() == ErrorCode::kInternal) {
        spdlog::error("{} {}: {}", std::string(shared->http.method_string()),
                      std::string(shared->http.target()), r.status().message());
      }
      sink.Send(ErrorResponse(r.status(), shared->request_id));
    }
  });
}

void LambdaApi::Invoke(ApiRequest& req, const std::string& function, http::ResponseSink sink,
                       bool legacy_async) {
  const std::string& rid = req.request_id;
  auto fail = [&](const Status& s) { sink.Send(ErrorResponse(s, rid)); };
  auto ref = control::ParseFunctionName(function, req.Query("Qualifier"), ctx_.account,
                                        control::QualifierRule::kAllowed);
  if (!ref.ok()) return fail(ref.status());
  std::string_view type = legacy_async ? "Event" : req.http["X-Amz-Invocation-Type"];
  if (type.empty()) type = "RequestResponse";
  if (type != "RequestResponse" && type != "Event" && type != "DryRun") {
    return fail(ValidationError("1 validation error detected: Value '" + std::string(type) +
                                "' at 'invocationType' failed to satisfy constraint: Member must "
                                "satisfy enum value set: [Event, RequestResponse, DryRun]"));
  }
  std::string_view log_type = req.http["X-Amz-Log-Type"];
  if (!log_type.empty() && log_type != "None" && log_type != "Tail") {
    return fail(ValidationError("1 validation error detected: Value '" + std::string(log_type) +
                                "' at 'logType' failed to satisfy constraint: Member must satisfy "
                                "enum value set: [Tail, None]"));
  }
  const control::Registry& registry = ctx_.registry->Local();
  auto resolved = registry.Resolve(*ref, ctx_.account);
  if (!resolved.ok()) return fail(resolved.status());

  runtime::InvokeRequest ir;
  ir.request_id = rid;
  std::string_view cc = req.http["X-Amz-Client-Context"];
  if (!cc.empty()) {
    auto decoded = Base64Decode(cc);
    std::string err;
    if (cc.size() > kMaxClientContext || !decoded || !IsValidJson(*decoded, &err)) {
      return fail(InvalidParameter("Client context must be a valid Base64-encoded JSON object "
                                   "of at most 3583 bytes."));
    }
    ir.client_context = std::move(*decoded);
  }
  std::string& body = req.http.body();
  if (body.empty()) body = "{}";
  std::string err;
  if (!IsValidJson(body, &err)) {
    return fail(Status(ErrorCode::kInvalidRequestContent,
                       "Could not parse request body into json: Could not parse payload into "
                       "json: " + err));
  }
  if (type == "DryRun") return sink.Send(Empty(204, rid));
  ir.payload = std::move(body);
  ir.invoked_arn = ref->qualifier
                       ? control::QualifiedArn(ctx_.account, ref->name, *ref->qualifier)
                       : control::FunctionArn(ctx_.account, ref->name);
  std::string_view trace = req.http["X-Amzn-Trace-Id"];
  ir.trace_id = trace.empty() ? NewTraceId() : std::string(trace);
  ir.tenant_id = std::string(req.http["X-Amz-Tenant-Id"]);

  if (type == "Event") {
    // In memory for now: accepted, answered 202 at once, run in the background.
    std::string name = ref->name;
    ctx_.dispatcher->Invoke(*resolved, std::move(ir), [name, rid](runtime::InvokeResult r) {
      if (!r.status.ok()) {
        spdlog::warn("async invocation {} of {} failed: {}", rid, name, r.status.ToString());
      }
    });
    if (legacy_async) return sink.Send(Json(202, {{"Status", 202}}, rid));
    return sink.Send(Empty(202, rid));
  }
  ir.tail_logs = log_type == "Tail";
  ctx_.dispatcher->Invoke(*resolved, std::move(ir), [sink, rid](runtime::InvokeResult r) {
    if (!r.status.ok()) return sink.Send(ErrorResponse(r.status, rid));
    http::Response res{http::Status::ok, 11};
    res.set(http::Field::content_type, "application/json");
    res.set("x-amzn-RequestId", rid);
    res.set("X-Amz-Executed-Version", r.executed_version);
    if (!r.function_error.empty()) res.set("X-Amz-Function-Error", r.function_error);
    if (!r.log_tail.empty()) res.set("X-Amz-Log-Result", Base64Encode(r.log_tail));
    res.body() = std::move(r.body);
    sink.Send(std::move(res));
  });
}

}  // namespace kindling::api
