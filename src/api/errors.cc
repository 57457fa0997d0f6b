#include "api/errors.h"

#include <boost/json.hpp>

namespace kindling::api {

namespace json = boost::json;

const char* ErrorTypeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "ResourceNotFoundException";
    case ErrorCode::kConflict: return "ResourceConflictException";
    case ErrorCode::kInvalidParameter: return "InvalidParameterValueException";
    case ErrorCode::kValidation: return "ValidationException";
    case ErrorCode::kPreconditionFailed: return "PreconditionFailedException";
    case ErrorCode::kRequestTooLarge: return "RequestEntityTooLargeException";
    case ErrorCode::kInvalidRequestContent: return "InvalidRequestContentException";
    case ErrorCode::kUnsupportedMediaType: return "UnsupportedMediaTypeException";
    case ErrorCode::kThrottled: return "TooManyRequestsException";
    case ErrorCode::kAccessDenied: return "AccessDeniedException";
    case ErrorCode::kCodeStorageExceeded: return "CodeStorageExceededException";
    case ErrorCode::kNotImplemented: return "NotImplementedException";
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
    case ErrorCode::kOk: return "ServiceException";
  }
  return "ServiceException";
}

http::Response ErrorResponse(const Status& status, const std::string& request_id) {
  unsigned code = 500;
  json::object body;
  switch (status.code()) {
    case ErrorCode::kNotFound:
      code = 404;
      body["Type"] = "User";
      // A more specific modelled name (ProvisionedConcurrencyConfigNotFoundException) uses
      // "message", as its shape does.
      body[status.detail().empty() ? "Message" : "message"] = status.message();
      break;
    case ErrorCode::kConflict: code = 409; break;
    case ErrorCode::kInvalidParameter:
    case ErrorCode::kInvalidRequestContent:
    case ErrorCode::kCodeStorageExceeded: code = 400; break;
    case ErrorCode::kValidation:
      code = 400;
      body["message"] = status.message();  // ValidationException has no Type
      break;
    case ErrorCode::kPreconditionFailed: code = 412; break;
    case ErrorCode::kRequestTooLarge: code = 413; break;
    case ErrorCode::kUnsupportedMediaType: code = 415; break;
    case ErrorCode::kThrottled:
      code = 429;
      body["Reason"] = status.detail();
      break;
    case ErrorCode::kAccessDenied:
      code = 403;
      body["Message"] = status.message();
      break;
    case ErrorCode::kNotImplemented: code = 501; break;
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
    case ErrorCode::kOk:
      code = 500;
      body["Type"] = "Service";
      body["Message"] = status.message();
      break;
  }
  if (body.empty()) {
    body["Type"] = "User";
    body["message"] = status.message();
  } else if (status.code() == ErrorCode::kThrottled) {
    body["Type"] = "User";
    body["message"] = status.message();
  }
  http::Response res = http::MakeResponse(code, json::serialize(body));
  res.set("x-amzn-ErrorType", status.code() == ErrorCode::kNotFound && !status.detail().empty()
                                  ? status.detail().c_str()
                                  : ErrorTypeName(status.code()));
  res.set("x-amzn-RequestId", request_id);
  if (status.code() == ErrorCode::kThrottled) res.set("Retry-After", "1");
  return res;
}

}  // namespace kindling::api
