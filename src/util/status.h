// Status and Result<T>: how expected failures travel through kindling.
//
// A Status is either OK or carries an ErrorCode and a human-readable message. The codes
// mirror the error families the Lambda API exposes; only api/ maps them to HTTP statuses
// and AWS error shapes (x-amzn-ErrorType, body). Bugs use CHECK (util/check.h), not Status.
//
// Thread safety: values; safe to copy and move across threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "util/check.h"

namespace kindling {

enum class ErrorCode {
  kOk = 0,
  kNotFound,               // ResourceNotFoundException (404)
  kConflict,               // ResourceConflictException (409)
  kInvalidParameter,       // InvalidParameterValueException (400)
  kValidation,             // ValidationException (400): a constraint on one field
  kPreconditionFailed,     // PreconditionFailedException (412): RevisionId mismatch
  kRequestTooLarge,        // RequestEntityTooLargeException (413)
  kInvalidRequestContent,  // InvalidRequestContentException (400): body is not valid JSON
  kUnsupportedMediaType,   // UnsupportedMediaTypeException (415)
  kThrottled,              // TooManyRequestsException (429); detail() holds the Reason
  kAccessDenied,           // AccessDeniedException (403)
  kCodeStorageExceeded,    // CodeStorageExceededException (400)
  kNotImplemented,         // an operation kindling does not offer (400, InvalidParameterValue)
  kUnavailable,            // ServiceException (500), retryable: e.g. a sandbox failed to start
  kInternal,               // ServiceException (500)
};

// Name of the code, for logs ("NotFound").
const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, std::string detail = {})
      : code_(code), message_(std::move(message)), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Code-specific extra information (the throttling Reason, for example).
  const std::string& detail() const { return detail_; }

  // "NotFound: Function not found: ..." for logs.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::string detail_;
};

inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Status InvalidParameter(std::string m) {
  return {ErrorCode::kInvalidParameter, std::move(m)};
}
inline Status ValidationError(std::string m) { return {ErrorCode::kValidation, std::move(m)}; }
inline Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }

// Result<T>: a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    KCHECK(!std::get<Status>(v_).ok()) << "Result constructed from an OK status";
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    KCHECK(ok()) << status().ToString();
    return std::get<T>(v_);
  }
  const T& value() const& {
    KCHECK(ok()) << status().ToString();
    return std::get<T>(v_);
  }
  T&& value() && {
    KCHECK(ok()) << status().ToString();
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kindling

// Propagates a non-OK Status from an expression returning Status.
#define KINDLING_RETURN_IF_ERROR(expr)          \
  do {                                          \
    ::kindling::Status _st = (expr);            \
    if (!_st.ok()) return _st;                  \
  } while (0)

#define KINDLING_CONCAT_INNER(a, b) a##b
#define KINDLING_CONCAT(a, b) KINDLING_CONCAT_INNER(a, b)
// KINDLING_ASSIGN_OR_RETURN(auto x, ExprReturningResult());
#define KINDLING_ASSIGN_OR_RETURN(lhs, expr)                            \
  auto KINDLING_CONCAT(_res_, __LINE__) = (expr);                       \
  if (!KINDLING_CONCAT(_res_, __LINE__).ok())                           \
    return KINDLING_CONCAT(_res_, __LINE__).status();                   \
  lhs = std::move(KINDLING_CONCAT(_res_, __LINE__)).value()
