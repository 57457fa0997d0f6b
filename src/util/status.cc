#include "util/status.h"

#include <cstdio>
#include <cstdlib>

namespace kindling {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "Ok";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kInvalidParameter: return "InvalidParameter";
    case ErrorCode::kValidation: return "Validation";
    case ErrorCode::kPreconditionFailed: return "PreconditionFailed";
    case ErrorCode::kRequestTooLarge: return "RequestTooLarge";
    case ErrorCode::kInvalidRequestContent: return "InvalidRequestContent";
    case ErrorCode::kUnsupportedMediaType: return "UnsupportedMediaType";
    case ErrorCode::kThrottled: return "Throttled";
    case ErrorCode::kAccessDenied: return "AccessDenied";
    case ErrorCode::kCodeStorageExceeded: return "CodeStorageExceeded";
    case ErrorCode::kNotImplemented: return "NotImplemented";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

namespace internal {

CheckFailure::CheckFailure(const char* file, int line, const char* cond) {
  os_ << file << ":" << line << ": KCHECK failed: " << cond << " ";
}

CheckFailure::~CheckFailure() {
  std::string s = os_.str();
  std::fprintf(stderr, "%s\n", s.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal
}  // namespace kindling
