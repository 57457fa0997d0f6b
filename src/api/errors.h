// The single place where kindling's Status becomes an AWS error response: HTTP status,
// x-amzn-ErrorType with the exact modelled name, and the body with the key casing each error
// shape uses in the Lambda model ("message" or "Message", "Type", "Reason").
#pragma once

#include <string>

#include "http/http_types.h"
#include "util/status.h"

namespace kindling::api {

// Builds the error response for `status` (which must not be OK). `request_id` goes into
// x-amzn-RequestId.
http::Response ErrorResponse(const Status& status, const std::string& request_id);

// The modelled error name for a code ("ResourceNotFoundException").
const char* ErrorTypeName(ErrorCode code);

}  // namespace kindling::api
