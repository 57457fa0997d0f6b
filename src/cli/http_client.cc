#include "cli/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <utility>

#include "util/strings.h"

namespace kindling::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view kScheme = "http://";
constexpr size_t kMaxResponseHeader = 64 * 1024;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string Seconds(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 999) / 1000) + " s";
}

}  // namespace

std::string Endpoint::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == "80" ? h : h + ":" + port;
}

Result<Endpoint> ParseEndpoint(std::string_view url) {
  std::string_view s = Trim(url);
  auto bad = [&](std::string_view why) {
    return InvalidParameter("invalid endpoint '" + std::string(url) + "': " + std::string(why));
  };
  if (s.size() < kScheme.size() || !EqualsIgnoreCase(s.substr(0, kScheme.size()), kScheme)) {
    if (s.find("://") != std::string_view::npos) {
      return bad("only http:// endpoints are supported");
    }
    return bad("expected a URL like http://127.0.0.1:9000");
  }
  std::string_view rest = s.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("a query or fragment is not allowed");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");

  std::string_view host, port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
  }
  if (host.empty()) return bad("missing host");
  if (host.find_first_of(" \t[]") != std::string_view::npos) return bad("invalid host");
  Endpoint ep;
  ep.host = std::string(host);
  if (port.empty()) {
    ep.port = "80";
  } else {
    auto n = ParseInt(port);
    if (!AllDigits(port) || !n || *n < 1 || *n > 65535) return bad("invalid port");
    ep.port = std::to_string(*n);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  ep.prefix = std::string(path);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  ep.url = std::string(s);
  return ep;
}

HttpClient::HttpClient(Endpoint endpoint, HttpClientOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

Result<http::Response> HttpClient::Send(http::Request request) const {
  request.target(endpoint_.prefix + std::string(request.target()));
  request.version(11);
  request.set(http::Field::host, endpoint_.HostHeader());
  if (request[http::Field::user_agent].empty()) {
    request.set(http::Field::user_agent, "kindling-cli/0.1");
  }
  request.prepare_payload();

  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::bhttp::response_parser<http::bhttp::string_body> parser;
  parser.body_limit(options_.max_response_body);
  parser.header_limit(kMaxResponseHeader);

  beast::error_code error;
  bool connected = false;
  // The chain below runs on this thread inside ioc.run(); each step records its error and stops.
  auto on_read = [&](beast::error_code ec, size_t) { error = ec; };
  auto on_write = [&](beast::error_code ec, size_t) {
    if (ec) {
      error = ec;
      return;
    }
    http::bhttp::async_read(stream, buffer, parser, on_read);
  };
  auto on_connect = [&](beast::error_code ec, const tcp::endpoint&) {
    if (ec) {
      error = ec;
      return;
    }
    connected = true;
    stream.expires_after(options_.io_timeout);
    http::bhttp::async_write(stream, request, on_write);
  };
  auto on_resolve = [&](beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) {
      error = ec;
      return;
    }
    stream.expires_after(options_.connect_timeout);
    stream.async_connect(results, on_connect);
  };
  resolver.async_resolve(endpoint_.host, endpoint_.port, on_resolve);
  ioc.run();

  if (error) {
    if (!connected) {
      std::string why = error == beast::error::timeout
                            ? "no connection after " + Seconds(options_.connect_timeout)
                            : error.message();
      return Status(ErrorCode::kUnavailable,
                    "cannot reach kindling at " + endpoint_.url + ": " + why);
    }
    std::string why = error == beast::error::timeout
                          ? "no complete response after " + Seconds(options_.io_timeout)
                          : error.message();
    return Status(ErrorCode::kUnavailable,
                  "request to kindling at " + endpoint_.url + " failed: " + why);
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return parser.release();
}

}  // namespace kindling::cli
