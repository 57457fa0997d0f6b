// LambdaClient: sends Lambda REST API calls for the client commands and turns error responses
// into Status values the way AWS SDKs read them (spec §5.2): the code comes from the
// `x-amzn-ErrorType` header (else the body's code/Code/__type), the text from the body's
// `message` (else `Message`).
//
// An API error is a Status whose code follows the HTTP status (404 -> kNotFound, ...), whose
// message is "<ErrorType>: <message>" and whose detail() is the bare ErrorType. Every failed
// command prints ErrorLine(status): "kindling: ResourceNotFoundException: Function not found: ...".
//
// Thread safety: like HttpClient, calls may run concurrently; LambdaClient does not own the
// HttpClient, which must outlive it.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/http_client.h"
#include "http/http_types.h"
#include "util/status.h"

namespace kindling::cli {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The Status for a response whose status code is 300 or more.
Status ErrorFromResponse(const http::Response& response);

// The one line a failed command writes to stderr (without the newline).
std::string ErrorLine(const Status& status);

// "/2015-03-31/functions/<percent-encoded name>".
std::string FunctionPath(std::string_view function_name);

// "?Qualifier=<encoded>" or "" when `qualifier` is empty.
std::string QualifierQuery(std::string_view qualifier);

class LambdaClient {
 public:
  explicit LambdaClient(const HttpClient* http) : http_(http) {}

  // Sends one request. A 2xx response is returned as is; any other status becomes
  // ErrorFromResponse; transport failures come back from HttpClient unchanged. A non-empty
  // `body` is sent as application/json.
  Result<http::Response> Call(http::bhttp::verb method, std::string target,
                              std::string body = {}, const HeaderList& headers = {}) const;

  // Call, then parses the response body as JSON (an invalid body is an Internal error).
  Result<boost::json::value> CallJson(http::bhttp::verb method, std::string target,
                                      std::string body = {}) const;

  const Endpoint& endpoint() const { return http_->endpoint(); }

 private:
  const HttpClient* http_;
};

}  // namespace kindling::cli
