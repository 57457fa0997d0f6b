// HttpClient: the small synchronous HTTP/1.1 client the `kindling` client commands use to talk
// to a kindling server (plain http:// only), plus parsing of the endpoint URL they are given.
//
// Each Send opens one TCP connection, writes the request, reads the whole response and closes
// the connection; connect and read deadlines are enforced. Transport failures come back as a
// non-OK Status (ErrorCode::kUnavailable) whose message is the text to show the user, e.g.
// "cannot reach kindling at http://127.0.0.1:9000: Connection refused".
//
// Thread safety: an HttpClient holds only its configuration; Send may be called from several
// threads at once (each call uses its own io_context and socket).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/http_types.h"
#include "util/status.h"

namespace kindling::cli {

inline constexpr std::string_view kDefaultEndpoint = "http://127.0.0.1:9000";

// A parsed `--endpoint`: http://host[:port][/prefix].
struct Endpoint {
  std::string host;    // "127.0.0.1", "localhost" or an IPv6 address without brackets
  std::string port;    // "9000"; "80" when the URL has none
  std::string prefix;  // "" or "/base" (no trailing slash); prepended to every request target
  std::string url;     // the URL as given, minus trailing slashes (for messages)

  // Value of the Host header: "host:port", with brackets around IPv6 addresses.
  std::string HostHeader() const;
};

// Parses an endpoint URL. Only the http scheme is accepted; user info, query and fragment are
// rejected. Returns InvalidParameter with a message naming the problem.
Result<Endpoint> ParseEndpoint(std::string_view url);

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // Covers writing the request and reading the whole response. Synchronous invocations may
  // legitimately run for 15 minutes, so the default is a little longer than that.
  std::chrono::milliseconds io_timeout{16 * 60 * 1000};
  uint64_t max_response_body = 64ull << 20;
};

class HttpClient {
 public:
  explicit HttpClient(Endpoint endpoint, HttpClientOptions options = {});

  // Sends `request` (its target is relative to the endpoint prefix) and returns the response,
  // whatever its status code. Sets Host, User-Agent and Content-Length.
  Result<http::Response> Send(http::Request request) const;

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
  HttpClientOptions options_;
};

}  // namespace kindling::cli
