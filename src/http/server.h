// HTTP/1.1 server plumbing over Boost.Beast: a listener per event loop and one Session per
// connection, keep-alive, bounded header and body sizes, read deadlines, Expect: 100-continue.
//
// A Handler decides, after the header, how large a body it accepts (BodyLimit), then gets the
// whole request and answers exactly once through the ResponseSink, which may be called later and
// from any thread (it posts to the connection's loop). The session reads the next request only
// after the response is written, so a handler sees at most one request per connection at a time.
//
// Threading: a Session lives on the io_context of the socket it was accepted on. Handler methods
// are called on that loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "http/http_types.h"

namespace kindling::http {

class Session;

// A handle to answer one request. Copyable; the first Send wins, later ones are ignored.
class ResponseSink {
 public:
  ResponseSink() = default;
  explicit ResponseSink(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  // Sends the response; `close` ends the connection after it. Thread-safe.
  void Send(Response&& response, bool close = false) const;
  // The executor the connection runs on (for callers that want to stay on it).
  boost::asio::io_context* loop() const;

 private:
  std::shared_ptr<Session> session_;
};

struct BodyPolicy {
  // Largest body the handler will take for this request.
  uint64_t limit = 1 << 20;
  // When the body is over `limit` but at most `drain_limit`, the session reads and discards it
  // and then calls Handler::OnBodyTooLarge, so clients that send the whole body still read the
  // answer; above `drain_limit` it answers OnBodyTooLarge at once and closes.
  uint64_t drain_limit = 1 << 20;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual BodyPolicy OnHeader(const RequestHeader& header) {
    (void)header;
    return {};
  }
  virtual void OnRequest(Request&& request, ResponseSink sink) = 0;
  // The body exceeded the BodyPolicy limit. Default: 413 with an empty body.
  virtual Response OnBodyTooLarge(const RequestHeader& header);
  // A malformed request (bad syntax). Default: 400.
  virtual Response OnBadRequest(std::string_view what);
};

struct ServerOptions {
  // Deadline for a whole request (header and body) once its first byte has arrived, and for an
  // idle keep-alive connection between requests. Zero disables the deadline (Runtime API).
  std::chrono::seconds request_timeout{60};
  std::chrono::seconds idle_timeout{300};
  uint32_t header_limit = 64 * 1024;
};

// Starts a Session on an accepted socket; the session keeps `handler` alive.
void StartSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<Handler> handler,
                  const ServerOptions& options);

// Accepts connections on `acceptor` (already listening) and starts a Session for each, forever,
// until the acceptor is closed. The acceptor must outlive the loop; sessions keep `handler`
// alive.
void AcceptLoop(boost::asio::ip::tcp::acceptor& acceptor, std::shared_ptr<Handler> handler,
                const ServerOptions& options);

}  // namespace kindling::http
