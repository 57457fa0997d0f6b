#include "cli/lambda_client.h"

#include <boost/json/parse.hpp>

#include "util/strings.h"

namespace kindling::cli {

namespace json = boost::json;

namespace {

constexpr size_t kMaxRawMessage = 200;

ErrorCode CodeForHttpStatus(unsigned status) {
  switch (status) {
    case 400: return ErrorCode::kInvalidParameter;
    case 403: return ErrorCode::kAccessDenied;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    case 412: return ErrorCode::kPreconditionFailed;
    case 413: return ErrorCode::kRequestTooLarge;
    case 415: return ErrorCode::kUnsupportedMediaType;
    case 429: return ErrorCode::kThrottled;
    case 501: return ErrorCode::kNotImplemented;
    default: return status >= 500 ? ErrorCode::kInternal : ErrorCode::kInvalidParameter;
  }
}

// "ns#Code:http://internal..." -> "Code" (spec §5.1/§5.2).
std::string SanitizeErrorType(std::string_view raw) {
  raw = raw.substr(0, raw.find(':'));
  raw = raw.substr(0, raw.find(','));
  const size_t hash = raw.rfind('#');
  if (hash != std::string_view::npos) raw = raw.substr(hash + 1);
  return std::string(Trim(raw));
}

std::string StringMember(const json::object& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    const json::value* v = o.if_contains(k);
    if (v && v->is_string()) return std::string(v->get_string());
  }
  return {};
}

// First line of a non-JSON body, shortened, so one error stays one line.
std::string RawMessage(std::string_view body) {
  body = Trim(body);
  body = body.substr(0, body.find_first_of("\r\n"));
  std::string out(body.substr(0, kMaxRawMessage));
  if (body.size() > kMaxRawMessage) out += "...";
  return out;
}

}  // namespace

Status ErrorFromResponse(const http::Response& response) {
  const unsigned status = response.result_int();
  std::string type = SanitizeErrorType(response["x-amzn-ErrorType"]);
  std::string message;
  json::error_code ec;
  json::value body = json::parse(response.body(), ec);
  if (!ec && body.is_object()) {
    const json::object& o = body.get_object();
    if (type.empty()) type = SanitizeErrorType(StringMember(o, {"code", "Code", "__type"}));
    message = StringMember(o, {"message", "Message", "errorMessage"});
  } else {
    message = RawMessage(response.body());
  }
  if (type.empty()) type = "HTTP " + std::to_string(status);
  if (message.empty()) message = std::string(response.reason());
  // Keep the error on one line whatever the server put in the message.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string text = message.empty() ? type : type + ": " + message;
  return Status(CodeForHttpStatus(status), std::move(text), std::move(type));
}

std::string ErrorLine(const Status& status) { return "kindling: " + status.message(); }

std::string FunctionPath(std::string_view function_name) {
  return "/2015-03-31/functions/" + PercentEncode(function_name);
}

std::string QualifierQuery(std::string_view qualifier) {
  if (qualifier.empty()) return {};
  return "?Qualifier=" + PercentEncode(qualifier);
}

Result<http::Response> LambdaClient::Call(http::bhttp::verb method, std::string target,
                                          std::string body, const HeaderList& headers) const {
  http::Request req{method, target, 11};
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty() && req[http::Field::content_type].empty()) {
    req.set(http::Field::content_type, "application/json");
  }
  req.body() = std::move(body);
  KINDLING_ASSIGN_OR_RETURN(http::Response res, http_->Send(std::move(req)));
  if (res.result_int() >= 300) return ErrorFromResponse(res);
  return res;
}

Result<json::value> LambdaClient::CallJson(http::bhttp::verb method, std::string target,
                                           std::string body) const {
  KINDLING_ASSIGN_OR_RETURN(http::Response res, Call(method, std::move(target), std::move(body)));
  json::error_code ec;
  json::value v = json::parse(res.body(), ec);
  if (ec) {
    return Internal("unexpected response from kindling at " + endpoint().url +
                    " (not JSON: " + ec.message() + ")");
  }
  return v;
}

}  // namespace kindling::cli
