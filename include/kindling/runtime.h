// kindling runtime: write native `provided.al2023` Lambda functions in C++.
//
// The library implements the Lambda Runtime API (2018-06-01) client side: Run() connects to
// AWS_LAMBDA_RUNTIME_API, long-polls /runtime/invocation/next, hands each event to a handler and
// posts the handler's Response to /response or /error. It needs only libc/POSIX and the C++
// standard library (C++17 or later), so a bootstrap links statically:
//
//   g++ -static -O2 main.cc -I include runtimes/cpp/*.cc -o bootstrap
//
//   #include <kindling/runtime.h>
//   int main() {
//     return kindling::runtime::Run([](const kindling::runtime::Invocation& inv) {
//       return kindling::runtime::Response::Json(R"({"hello":"world"})");
//     });
//   }
//
// Thread safety: Run() is a single-threaded loop; the handler runs on the thread that called
// Run(), one invocation at a time. Run() reads the environment and sets _X_AMZN_TRACE_ID before
// each invocation (the environment is not thread-safe), so other threads must not change the
// environment while it runs.
//
// Ownership: Run() owns the Invocation it passes to the handler and reuses its buffers for the
// next event; the reference (and any pointer into its strings) is valid only until the handler
// returns. The handler returns its Response by value; Run() takes it over.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kindling::runtime {

// The function's static configuration, read once from the environment at startup.
struct FunctionConfig {
  std::string runtime_api;       // AWS_LAMBDA_RUNTIME_API: "host:port" of the Runtime API
  std::string handler;           // _HANDLER: the configured Handler string
  std::string function_name;     // AWS_LAMBDA_FUNCTION_NAME
  std::string function_version;  // AWS_LAMBDA_FUNCTION_VERSION: "$LATEST" or "1", "2", ...
  int memory_size_mb = 0;        // AWS_LAMBDA_FUNCTION_MEMORY_SIZE (0 when unset)
  std::string log_group_name;    // AWS_LAMBDA_LOG_GROUP_NAME
  std::string log_stream_name;   // AWS_LAMBDA_LOG_STREAM_NAME
  std::string region;            // AWS_REGION
  std::string task_root;         // LAMBDA_TASK_ROOT: where the code was unpacked

  static FunctionConfig FromEnvironment();
};

// One event, as delivered by GET /runtime/invocation/next. Absent headers leave fields empty.
struct Invocation {
  std::string request_id;            // Lambda-Runtime-Aws-Request-Id (never empty)
  int64_t deadline_ms = 0;           // Lambda-Runtime-Deadline-Ms: epoch milliseconds (0: unknown)
  std::string invoked_function_arn;  // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;              // Lambda-Runtime-Trace-Id; also set as _X_AMZN_TRACE_ID
  std::string client_context;        // Lambda-Runtime-Client-Context: raw JSON
  std::string cognito_identity;      // Lambda-Runtime-Cognito-Identity: raw JSON
  std::string tenant_id;             // Lambda-Runtime-Aws-Tenant-Id
  std::string content_type;          // Content-Type of the payload (normally application/json)
  std::string payload;               // the event bytes, unparsed
  const FunctionConfig* function = nullptr;  // never null inside a handler

  // Time left before the deadline (negative once past it; zero when the deadline is unknown).
  std::chrono::milliseconds RemainingTime() const;
};

// What a handler returns: a success body or a function error.
class Response {
 public:
  // A success whose body is already-encoded JSON; posted as application/json.
  static Response Json(std::string json);
  // A success with any bytes and content type (control characters are removed from the content
  // type; an empty one means application/json).
  static Response Raw(std::string body, std::string_view content_type);
  // A function error. The caller sees {"errorMessage","errorType","stackTrace":[]}; error_type is
  // also sent as the Lambda-Runtime-Function-Error-Type header (control characters removed).
  static Response Error(std::string_view error_type, std::string_view error_message);

  bool is_error() const { return is_error_; }
  const std::string& body() const { return body_; }
  // "application/json" unless Raw() chose another type.
  std::string_view content_type() const;
  // Empty unless is_error().
  const std::string& error_type() const { return error_type_; }

 private:
  Response() = default;

  std::string body_;
  std::string content_type_;  // empty means application/json
  std::string error_type_;    // sanitized for use as a header value
  bool is_error_ = false;
};

using Handler = std::function<Response(const Invocation&)>;

// Serves invocations until the Runtime API fails, then returns a non-zero exit status for main().
// A handler that throws a std::exception becomes an error whose errorType is the demangled
// dynamic type name (e.g. "std::runtime_error") and whose errorMessage is what(). Any non-2xx
// reply, a broken connection or a malformed /next reply ends the loop (the platform then replaces
// the environment). Stdout and stderr are flushed after each invocation.
int Run(const Handler& handler);

// Reports a failed initialization: posts the error to /runtime/init/error, then exits with
// status 1. Use it before Run() when setup (config, connections, ...) fails; by convention
// error_type looks like "Runtime.Category" or "Function.Category".
[[noreturn]] void FailInit(std::string_view error_type, std::string_view error_message);

// Appends `text` to *out escaped for use inside a JSON string literal (without the quotes).
// Bytes >= 0x80 pass through unchanged, so valid UTF-8 stays valid.
void AppendJsonEscaped(std::string_view text, std::string* out);
std::string JsonEscape(std::string_view text);

}  // namespace kindling::runtime
