// Request/response types shared by kindling's HTTP servers (the Lambda API and each execution
// environment's Runtime API) and the helpers to build responses.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace kindling::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using RequestHeader = bhttp::request_header<>;
using Status = bhttp::status;
using Field = bhttp::field;

// A response with `body` and Content-Type; Content-Length is set.
Response MakeResponse(unsigned status, std::string body,
                      std::string_view content_type = "application/json");

}  // namespace kindling::http
