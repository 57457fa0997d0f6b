#include "http/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>

#include "util/strings.h"

namespace kindling::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

Response MakeResponse(unsigned status, std::string body, std::string_view content_type) {
  Response res{static_cast<bhttp::status>(status), 11};
  if (!content_type.empty()) res.set(Field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response Handler::OnBodyTooLarge(const RequestHeader&) { return MakeResponse(413, "", ""); }

Response Handler::OnBadRequest(std::string_view) { return MakeResponse(400, "", ""); }

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, std::shared_ptr<Handler> handler,
          const ServerOptions& options)
      : loop_(&static_cast<asio::io_context&>(socket.get_executor().context())),
        stream_(std::move(socket)),
        handler_(std::move(handler)),
        options_(options) {
    stream_.socket().set_option(asio::ip::tcp::no_delay(true));
  }

  void Start() { ReadHeader(); }

  asio::io_context* loop() const { return loop_; }

  void Send(Response&& response, bool close) {
    if (!loop_->get_executor().running_in_this_thread()) {
      asio::post(*loop_, [self = shared_from_this(), r = std::move(response), close]() mutable {
        self->Send(std::move(r), close);
      });
      return;
    }
    if (!awaiting_response_) return;  // answered already (or the connection is gone)
    awaiting_response_ = false;
    close_after_write_ = close || !keep_alive_;
    response_ = std::move(response);
    response_.version(11);
    response_.keep_alive(!close_after_write_);
    response_.prepare_payload();
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->OnWritten(ec);
                       });
  }

 private:
  void ArmDeadline(std::chrono::seconds s) {
    if (s.count() > 0) {
      stream_.expires_after(s);
    } else {
      stream_.expires_never();
    }
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(options_.header_limit);
    // Beast would check its default body limit against Content-Length while reading the header;
    // the Handler's BodyPolicy decides instead, once the header is in.
    parser_->body_limit(boost::none);
    // A connection idle between requests gets the idle deadline; once bytes arrive the whole
    // request must finish within request_timeout (re-armed when the header is in).
    ArmDeadline(buffer_.size() > 0 ? options_.request_timeout : options_.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    ArmDeadline(options_.request_timeout);
    const RequestHeader& header = parser_->get().base();
    keep_alive_ = parser_->keep_alive();
    BodyPolicy policy = handler_->OnHeader(header);
    auto length = parser_->content_length();
    bool expect_continue =
        EqualsIgnoreCase(std::string(header[Field::expect]), "100-continue");
    if (length && *length > policy.limit) {
      if (*length <= policy.drain_limit && !expect_continue) {
        return Drain(handler_->OnBodyTooLarge(header));
      }
      return Reject(handler_->OnBodyTooLarge(header));
    }
    parser_->body_limit(policy.limit);
    if (expect_continue && !parser_->is_done()) {
      auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*cont),
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->OnBody(ec);
                      });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return Reject(handler_->OnBodyTooLarge(parser_->get().base()));
    }
    if (ec) return OnReadError(ec);
    stream_.expires_never();  // the handler may take as long as the function runs
    awaiting_response_ = true;
    Request request = parser_->release();
    parser_.reset();
    handler_->OnRequest(std::move(request), ResponseSink(shared_from_this()));
  }

  // Reads and discards a body that is over the limit, then answers `response`.
  void Drain(Response response) {
    drain_parser_.emplace(std::move(*parser_));
    drain_parser_->body_limit(boost::none);  // bounded by Content-Length <= drain_limit
    parser_.reset();
    drain_response_ = std::move(response);
    DrainSome();
  }

  void DrainSome() {
    drain_parser_->get().body().data = drain_buf_;
    drain_parser_->get().body().size = sizeof(drain_buf_);
    bhttp::async_read(stream_, buffer_, *drain_parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec == bhttp::error::need_buffer) ec = {};
                        if (ec) return self->OnReadError(ec);
                        if (!self->drain_parser_->is_done()) return self->DrainSome();
                        self->drain_parser_.reset();
                        self->awaiting_response_ = true;
                        self->Send(std::move(self->drain_response_), false);
                      });
  }

  // Answers and closes: the rest of the request is not read.
  void Reject(Response response) {
    awaiting_response_ = true;
    keep_alive_ = false;
    Send(std::move(response), true);
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec == bhttp::error::header_limit) {
      return Reject(MakeResponse(431, "", ""));
    }
    Reject(handler_->OnBadRequest(ec.message()));
  }

  void OnWritten(beast::error_code ec) {
    if (ec || close_after_write_) return Close();
    ReadHeader();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  asio::io_context* loop_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Handler> handler_;
  ServerOptions options_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> drain_parser_;
  char drain_buf_[16 * 1024];
  Response drain_response_;
  Response response_;
  bool keep_alive_ = true;
  bool awaiting_response_ = false;
  bool close_after_write_ = false;
};

void ResponseSink::Send(Response&& response, bool close) const {
  if (session_) session_->Send(std::move(response), close);
}

asio::io_context* ResponseSink::loop() const { return session_ ? session_->loop() : nullptr; }

void StartSession(asio::ip::tcp::socket socket, std::shared_ptr<Handler> handler,
          const ServerOptions& options) {
  std::make_shared<Session>(std::move(socket), handler, options)->Start();
}

namespace {

void AcceptOne(asio::ip::tcp::acceptor& acceptor, std::shared_ptr<Handler> handler,
               ServerOptions options) {
  acceptor.async_accept([&acceptor, handler, options](beast::error_code ec,
                                                      asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      StartSession(std::move(socket), handler, options);
      return AcceptOne(acceptor, handler, options);
    }
    // EMFILE and friends are transient: back off briefly instead of spinning.
    auto timer = std::make_shared<asio::steady_timer>(acceptor.get_executor());
    timer->expires_after(std::chrono::milliseconds(20));
    timer->async_wait([&acceptor, handler, options, timer](beast::error_code) {
      if (acceptor.is_open()) AcceptOne(acceptor, handler, options);
    });
  });
}

}  // namespace

void AcceptLoop(asio::ip::tcp::acceptor& acceptor, std::shared_ptr<Handler> handler,
                const ServerOptions& options) {
  AcceptOne(acceptor, std::move(handler), options);
}

}  // namespace kindling::http
