// One invocation as the runtime plane sees it: what the caller sent, and what comes back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "util/status.h"

namespace kindling::runtime {

struct InvokeRequest {
  std::string request_id;
  std::string payload;           // the event bytes (valid JSON)
  std::string client_context;    // decoded JSON from X-Amz-Client-Context, or empty
  std::string cognito_identity;  // JSON, or empty
  std::string invoked_arn;       // the ARN as the caller named it (qualified when it was)
  std::string trace_id;          // Lambda-Runtime-Trace-Id
  std::string tenant_id;
  bool tail_logs = false;        // X-Amz-Log-Type: Tail
};

struct InvokeResult {
  // Non-OK only for platform failures the API reports as errors (throttled, service error).
  Status status;
  std::string body;              // the function's response or error document
  std::string function_error;    // "" or "Unhandled"
  std::string executed_version;  // "$LATEST" or "N"
  std::string log_tail;          // last 4 KB of the invocation's log when tail_logs
};

// Called exactly once, on an event-loop thread (not necessarily the caller's).
using InvokeCallback = std::function<void(InvokeResult)>;

// An invocation travelling to an execution environment.
struct PendingInvoke {
  InvokeRequest request;
  InvokeCallback done;
  std::string executed_version;
  int64_t accepted_ns = 0;  // monotonic time the API accepted it
  int redispatches = 0;     // times it moved to another environment before it started
};

// The limits of the synchronous invoke path (spec §4.1, §6).
inline constexpr size_t kMaxSyncPayload = 6291456;       // 6 MB request
inline constexpr size_t kMaxRuntimeResponse = 6291556;   // 6 MiB + 100 from the runtime

}  // namespace kindling::runtime
