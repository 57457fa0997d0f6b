// HttpClient: the minimal blocking HTTP/1.1 client under kindling/runtime.h. Internal.
//
// It keeps one persistent keep-alive TCP connection (TCP_NODELAY) to a numeric address and
// reconnects only after the server asked to close. Requests carry Content-Length; replies may be
// framed by Content-Length, chunked transfer coding or connection close. Reads and writes survive
// partial transfers and EINTR. Buffers belong to the client and HttpResponse and are reused, so a
// steady-state request allocates only when a body outgrows its string's capacity.
//
// Thread safety: none; one request at a time. Uses only libc/POSIX and the standard library, and
// stays C++17 so that `g++ -static main.cc runtimes/cpp/*.cc` builds with the default standard.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kindling::runtime::internal {

struct HttpHeader {
  std::string_view name;
  std::string_view value;  // must not contain CR or LF
};

struct HttpRequest {
  std::string_view method;
  std::string_view path;  // already percent-encoded
  const HttpHeader* headers = nullptr;
  size_t header_count = 0;
  std::string_view body;  // sent with Content-Length unless method is GET and body is empty
};

// Status line and headers of the last reply. Views stay valid until the next RoundTrip().
class HttpResponse {
 public:
  int status() const { return status_; }
  // The first header called `name` (case-insensitive), if any.
  std::optional<std::string_view> Find(std::string_view name) const;
  // Its value, or empty when absent.
  std::string_view Header(std::string_view name) const { return Find(name).value_or(""); }

 private:
  friend class HttpClient;
  bool Parse();  // fills status_, minor_version_ and headers_ from head_

  int status_ = 0;
  int minor_version_ = 1;
  std::string head_;  // status line and header lines, each ending in CRLF
  std::vector<HttpHeader> headers_;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Accepts "host:port" where host is an IPv4 literal, a bracketed IPv6 literal or "localhost"
  // (no DNS: a static binary cannot use the resolver). Does not connect yet.
  bool SetEndpoint(std::string_view host_port);

  // Sends `request` (connecting first if needed) and reads the final reply, skipping 1xx; the
  // body replaces *body. Returns false on a network or protocol error; error() says which, and
  // the connection is dropped.
  bool RoundTrip(const HttpRequest& request, HttpResponse* response, std::string* body);

  const std::string& error() const { return error_; }

 private:
  bool Connect();
  void Disconnect();
  bool Fail(std::string_view what, int err = 0);
  bool Send(const HttpRequest& request);
  bool ReadHead(HttpResponse* response);
  bool ReadBody(const HttpResponse& response, std::string* body, bool* must_close);
  bool ReadChunked(std::string* body);
  bool ReadUntilClose(std::string* body);
  bool ReadLine(std::string_view* line);
  bool ReadExact(char* dst, size_t n);
  // Reads more bytes into in_ (compacting it first when full). Returns -1 on error, 0 on EOF.
  ssize_t Fill();

  int fd_ = -1;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::string host_;  // Host header value
  std::string out_;   // request head being sent
  std::unique_ptr<char[]> in_;
  size_t in_begin_ = 0;  // unconsumed bytes are in_[in_begin_, in_end_)
  size_t in_end_ = 0;
  std::string error_;
};

}  // namespace kindling::runtime::internal
