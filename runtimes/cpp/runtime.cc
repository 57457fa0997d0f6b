#include "kindling/runtime.h"

#include <cxxabi.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <typeinfo>
#include <utility>
#include <vector>

#include "http_client.h"

namespace kindling::runtime {
namespace {

using internal::HttpClient;
using internal::HttpHeader;
using internal::HttpRequest;
using internal::HttpResponse;

constexpr std::string_view kNextPath = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInvocationPrefix = "/2018-06-01/runtime/invocation/";
constexpr std::string_view kInitErrorPath = "/2018-06-01/runtime/init/error";
constexpr std::string_view kJsonContentType = "application/json";
constexpr std::string_view kErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

void LogError(std::string_view what, std::string_view detail = "") {
  std::string line = "kindling-runtime: ";
  line.append(what);
  if (!detail.empty()) line.append(": ").append(detail);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

// Removes bytes that cannot appear in an HTTP header value (CR, LF and other controls).
std::string HeaderSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  }
  return out;
}

std::string Demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

// Appends the request id to *path, percent-encoding anything but RFC 3986 unreserved bytes.
void AppendPathSegment(std::string_view segment, std::string* path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : segment) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      path->push_back(c);
    } else {
      auto byte = static_cast<unsigned char>(c);
      path->push_back('%');
      path->push_back(kHex[byte >> 4]);
      path->push_back(kHex[byte & 0xf]);
    }
  }
}

// One request; false (after logging why) on a transport error or a non-2xx status.
bool Exchange(HttpClient* client, const HttpRequest& request, HttpResponse* reply,
              std::string* body) {
  if (!client->RoundTrip(request, reply, body)) {
    LogError(std::string(request.method) + " " + std::string(request.path), client->error());
    return false;
  }
  if (reply->status() < 200 || reply->status() > 299) {
    LogError(std::string(request.method) + " " + std::string(request.path) + " returned " +
                 std::to_string(reply->status()),
             std::string_view(*body).substr(0, 512));
    return false;
  }
  return true;
}

// Copies the /next reply headers into *inv, reusing its buffers. False if the request id is absent.
bool ReadInvocation(const HttpResponse& reply, Invocation* inv) {
  inv->request_id.assign(reply.Header("Lambda-Runtime-Aws-Request-Id"));
  if (inv->request_id.empty()) {
    LogError("/next reply has no Lambda-Runtime-Aws-Request-Id header");
    return false;
  }
  std::string_view deadline = reply.Header("Lambda-Runtime-Deadline-Ms");
  inv->deadline_ms = 0;
  auto [end, ec] =
      std::from_chars(deadline.data(), deadline.data() + deadline.size(), inv->deadline_ms);
  if (ec != std::errc() || end != deadline.data() + deadline.size()) inv->deadline_ms = 0;
  inv->invoked_function_arn.assign(reply.Header("Lambda-Runtime-Invoked-Function-Arn"));
  inv->trace_id.assign(reply.Header("Lambda-Runtime-Trace-Id"));
  inv->client_context.assign(reply.Header("Lambda-Runtime-Client-Context"));
  inv->cognito_identity.assign(reply.Header("Lambda-Runtime-Cognito-Identity"));
  inv->tenant_id.assign(reply.Header("Lambda-Runtime-Aws-Tenant-Id"));
  inv->content_type.assign(reply.Header("Content-Type"));
  return true;
}

// Keeps _X_AMZN_TRACE_ID equal to the current trace id. It hands putenv() a buffer it owns and
// reuses, because glibc's setenv() keeps a copy of every distinct value it was ever given: with a
// new trace id per invoke that leaks ~150 bytes per invocation.
class TraceIdEnv {
 public:
  TraceIdEnv() = default;
  ~TraceIdEnv() { Set({}); }  // the environment must not keep pointing into buf_
  TraceIdEnv(const TraceIdEnv&) = delete;
  TraceIdEnv& operator=(const TraceIdEnv&) = delete;

  void Set(std::string_view trace_id) {
    if (trace_id.empty()) {
      ::unsetenv(kName);
    } else if (kNameLen + 1 + trace_id.size() + 1 > buf_.size()) {
      std::vector<char> grown(std::max<size_t>(kNameLen + 1 + trace_id.size() + 1, 256));
      Fill(trace_id, grown.data());
      ::putenv(grown.data());  // the environment now points at `grown`...
      buf_.swap(grown);        // ...so the old buffer can go
    } else {
      Fill(trace_id, buf_.data());
      ::putenv(buf_.data());
    }
  }

 private:
  static constexpr char kName[] = "_X_AMZN_TRACE_ID";
  static constexpr size_t kNameLen = sizeof(kName) - 1;

  static void Fill(std::string_view trace_id, char* out) {
    std::memcpy(out, kName, kNameLen);
    out[kNameLen] = '=';
    std::memcpy(out + kNameLen + 1, trace_id.data(), trace_id.size());
    out[kNameLen + 1 + trace_id.size()] = '\0';
  }

  std::vector<char> buf_;
};

// Runs the handler, turning exceptions into error responses (and logging them, like the
// managed runtimes do).
Response Invoke(const Handler& handler, const Invocation& inv) {
  std::string type;
  std::string message;
  try {
    return handler(inv);
  } catch (const std::exception& e) {
    type = Demangle(typeid(e));
    message = e.what();
  } catch (...) {
    const std::type_info* thrown = abi::__cxa_current_exception_type();
    type = thrown != nullptr ? Demangle(*thrown) : std::string("UnknownException");
    message = "handler threw a non-std::exception value";
  }
  std::fprintf(stderr, "[ERROR] %s %s: %s\n", inv.request_id.c_str(), type.c_str(),
               message.c_str());
  return Response::Error(type, message);
}

// Posts `response` to `path` as a success or an error.
bool Post(HttpClient* client, std::string_view path, const Response& response, HttpResponse* reply,
          std::string* reply_body) {
  HttpHeader headers[2] = {{"Content-Type", response.content_type()},
                           {kErrorTypeHeader, response.error_type()}};
  bool with_type = response.is_error() && !response.error_type().empty();
  HttpRequest request{"POST", path, headers, with_type ? 2u : 1u, response.body()};
  return Exchange(client, request, reply, reply_body);
}

}  // namespace

FunctionConfig FunctionConfig::FromEnvironment() {
  FunctionConfig config;
  config.runtime_api = GetEnv("AWS_LAMBDA_RUNTIME_API");
  config.handler = GetEnv("_HANDLER");
  config.function_name = GetEnv("AWS_LAMBDA_FUNCTION_NAME");
  config.function_version = GetEnv("AWS_LAMBDA_FUNCTION_VERSION");
  std::string memory = GetEnv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  if (std::from_chars(memory.data(), memory.data() + memory.size(), config.memory_size_mb).ec !=
      std::errc()) {
    config.memory_size_mb = 0;
  }
  config.log_group_name = GetEnv("AWS_LAMBDA_LOG_GROUP_NAME");
  config.log_stream_name = GetEnv("AWS_LAMBDA_LOG_STREAM_NAME");
  config.region = GetEnv("AWS_REGION");
  config.task_root = GetEnv("LAMBDA_TASK_ROOT");
  return config;
}

std::chrono::milliseconds Invocation::RemainingTime() const {
  if (deadline_ms == 0) return std::chrono::milliseconds(0);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return std::chrono::milliseconds(deadline_ms) - now;
}

Response Response::Json(std::string json) {
  Response r;
  r.body_ = std::move(json);
  return r;
}

Response Response::Raw(std::string body, std::string_view content_type) {
  Response r;
  r.body_ = std::move(body);
  r.content_type_ = HeaderSafe(content_type);
  return r;
}

Response Response::Error(std::string_view error_type, std::string_view error_message) {
  Response r;
  r.is_error_ = true;
  r.error_type_ = HeaderSafe(error_type);
  r.body_.reserve(error_message.size() + error_type.size() + 64);
  r.body_.append(R"({"errorMessage":")");
  AppendJsonEscaped(error_message, &r.body_);
  r.body_.append(R"(","errorType":")");
  AppendJsonEscaped(error_type, &r.body_);
  r.body_.append(R"(","stackTrace":[]})");
  return r;
}

std::string_view Response::content_type() const {
  return content_type_.empty() ? kJsonContentType : std::string_view(content_type_);
}

int Run(const Handler& handler) {
  const FunctionConfig config = FunctionConfig::FromEnvironment();
  if (config.runtime_api.empty()) {
    LogError("AWS_LAMBDA_RUNTIME_API is not set; run this bootstrap inside a Lambda environment");
    return 1;
  }
  HttpClient client;
  if (!client.SetEndpoint(config.runtime_api)) {
    LogError(config.runtime_api, client.error());
    return 1;
  }
  // Everything below is reused across invocations so that steady state allocates little.
  Invocation inv;
  inv.function = &config;
  HttpResponse reply;
  std::string reply_body;
  std::string path;
  path.reserve(128);
  TraceIdEnv trace_env;
  const HttpRequest next{"GET", kNextPath, nullptr, 0, {}};
  for (;;) {
    if (!Exchange(&client, next, &reply, &inv.payload)) return 1;
    if (!ReadInvocation(reply, &inv)) return 1;
    trace_env.Set(inv.trace_id);
    const Response response = Invoke(handler, inv);
    std::fflush(stdout);  // std::cout writes through stdio unless sync_with_stdio(false)
    std::fflush(stderr);
    path.assign(kInvocationPrefix);
    AppendPathSegment(inv.request_id, &path);
    path.append(response.is_error() ? "/error" : "/response");
    if (!Post(&client, path, response, &reply, &reply_body)) return 1;
  }
}

void FailInit(std::string_view error_type, std::string_view error_message) {
  LogError("init failed", std::string(error_type) + ": " + std::string(error_message));
  const std::string api = GetEnv("AWS_LAMBDA_RUNTIME_API");
  HttpClient client;
  HttpResponse reply;
  std::string reply_body;
  if (api.empty()) {
    LogError("AWS_LAMBDA_RUNTIME_API is not set; init error not reported");
  } else if (!client.SetEndpoint(api)) {
    LogError(api, client.error());
  } else {
    Post(&client, kInitErrorPath, Response::Error(error_type, error_message), &reply, &reply_body);
  }
  std::fflush(stdout);
  std::exit(1);
}

void AppendJsonEscaped(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 0xf]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  AppendJsonEscaped(text, &out);
  return out;
}

}  // namespace kindling::runtime
