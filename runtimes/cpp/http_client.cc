#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace kindling::runtime::internal {
namespace {

constexpr size_t kInBufferSize = 64 * 1024;         // also the longest reply head or line
constexpr size_t kMaxBodySize = size_t{256} << 20;  // far above Lambda's 6 MiB payloads
constexpr std::string_view kUserAgent = "kindling-runtime-cpp/0.1";

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// True if the comma-separated header value lists `token` (case-insensitive).
bool HasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (EqualsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> HttpResponse::Find(std::string_view name) const {
  for (const HttpHeader& h : headers_) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

bool HttpResponse::Parse() {
  headers_.clear();
  std::string_view rest = head_;
  size_t eol = rest.find("\r\n");
  std::string_view status_line = rest.substr(0, eol);
  rest.remove_prefix(eol + 2);
  // "HTTP/1.1 200 OK": version, a space, three digits, then optionally a reason phrase.
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return false;
  }
  minor_version_ = status_line[7] - '0';
  status_ = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return false;
    status_ = status_ * 10 + (status_line[i] - '0');
  }
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    std::string_view name = line.substr(0, colon);
    if (name.find_first_of(" \t") != std::string_view::npos) return false;
    headers_.push_back({name, TrimWhitespace(line.substr(colon + 1))});
  }
  return true;
}

HttpClient::HttpClient() : in_(new char[kInBufferSize]) {}

HttpClient::~HttpClient() { Disconnect(); }

bool HttpClient::SetEndpoint(std::string_view host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return Fail("Runtime API address is not host:port");
  std::string host(host_port.substr(0, colon));
  std::string_view port_text = host_port.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return Fail("Runtime API address has no valid port");
  }
  addr_ = {};
  if (host == "localhost") host = "127.0.0.1";
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr_);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    addr_len_ = sizeof(sockaddr_in);
  } else if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
             inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    addr_len_ = sizeof(sockaddr_in6);
  } else {
    return Fail("Runtime API host must be an IP address or localhost");
  }
  host_.assign(host_port);
  Disconnect();
  return true;
}

bool HttpClient::Fail(std::string_view what, int err) {
  error_.assign(what);
  if (err != 0) error_.append(": ").append(std::strerror(err));
  Disconnect();
  return false;
}

void HttpClient::Disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_begin_ = in_end_ = 0;
}

bool HttpClient::Connect() {
  if (addr_len_ == 0) return Fail("no Runtime API endpoint");
  fd_ = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Fail("socket", errno);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) != 0) {
    if (errno != EINTR) return Fail("connect to Runtime API " + host_, errno);
    // Interrupted: the connection attempt goes on; wait for it and fetch its result.
    pollfd p{fd_, POLLOUT, 0};
    while (::poll(&p, 1, -1) < 0) {
      if (errno != EINTR) return Fail("poll", errno);
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return Fail("connect to Runtime API " + host_, err);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool HttpClient::RoundTrip(const HttpRequest& request, HttpResponse* response, std::string* body) {
  if (fd_ < 0 && !Connect()) return false;
  if (!Send(request)) return false;
  do {
    if (!ReadHead(response)) return false;
  } while (response->status_ >= 100 && response->status_ < 200);
  bool must_close = false;
  if (!ReadBody(*response, body, &must_close)) return false;
  if (must_close) Disconnect();
  return true;
}

bool HttpClient::Send(const HttpRequest& request) {
  out_.clear();
  out_.append(request.method).append(" ").append(request.path).append(" HTTP/1.1\r\nHost: ");
  out_.append(host_).append("\r\nUser-Agent: ").append(kUserAgent).append("\r\n");
  for (size_t i = 0; i < request.header_count; ++i) {
    out_.append(request.headers[i].name).append(": ").append(request.headers[i].value);
    out_.append("\r\n");
  }
  if (request.method != "GET" || !request.body.empty()) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), request.body.size());
    (void)ec;  // 24 digits always suffice
    out_.append("Content-Length: ").append(digits, end).append("\r\n");
  }
  out_.append("\r\n");

  iovec iov[2] = {{out_.data(), out_.size()},
                  {const_cast<char*>(request.body.data()), request.body.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = request.body.empty() ? 1 : 2;
  while (msg.msg_iovlen > 0) {
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail("send to Runtime API", errno);
    }
    auto left = static_cast<size_t>(n);
    while (msg.msg_iovlen > 0 && left >= msg.msg_iov[0].iov_len) {
      left -= msg.msg_iov[0].iov_len;
      ++msg.msg_iov;
      --msg.msg_iovlen;
    }
    if (msg.msg_iovlen > 0) {
      msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + left;
      msg.msg_iov[0].iov_len -= left;
    }
  }
  return true;
}

ssize_t HttpClient::Fill() {
  if (in_end_ == kInBufferSize) {
    if (in_begin_ == 0) {
      Fail("Runtime API reply head or line is too long");
      return -1;
    }
    std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, in_.get() + in_end_, kInBufferSize - in_end_, 0);
    if (n >= 0) {
      in_end_ += static_cast<size_t>(n);
      return n;
    }
    if (errno != EINTR) {
      Fail("receive from Runtime API", errno);
      return -1;
    }
  }
}

bool HttpClient::ReadHead(HttpResponse* response) {
  size_t scanned = 0;  // bytes after in_begin_ already searched (compaction keeps it valid)
  for (;;) {
    std::string_view data(in_.get() + in_begin_, in_end_ - in_begin_);
    size_t end = data.find("\r\n\r\n", scanned >= 3 ? scanned - 3 : 0);
    if (end != std::string_view::npos) {
      response->head_.assign(data.data(), end + 2);  // keep the last header's CRLF
      in_begin_ += end + 4;
      if (!response->Parse()) return Fail("malformed reply head from Runtime API");
      return true;
    }
    scanned = data.size();
    ssize_t n = Fill();
    if (n < 0) return false;
    if (n == 0) return Fail("Runtime API closed the connection");
  }
}

bool HttpClient::ReadLine(std::string_view* line) {
  size_t scanned = 0;
  for (;;) {
    std::string_view data(in_.get() + in_begin_, in_end_ - in_begin_);
    size_t eol = data.find("\r\n", scanned >= 1 ? scanned - 1 : 0);
    if (eol != std::string_view::npos) {
      *line = data.substr(0, eol);
      in_begin_ += eol + 2;
      return true;
    }
    scanned = data.size();
    ssize_t n = Fill();
    if (n < 0) return false;
    if (n == 0) return Fail("Runtime API closed the connection mid-reply");
  }
}

bool HttpClient::ReadExact(char* dst, size_t n) {
  size_t buffered = std::min(n, in_end_ - in_begin_);
  std::memcpy(dst, in_.get() + in_begin_, buffered);
  in_begin_ += buffered;
  dst += buffered;
  n -= buffered;
  while (n > 0) {  // read straight into the destination: no copy, and never past the body
    ssize_t got = ::recv(fd_, dst, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Fail("receive from Runtime API", errno);
    }
    if (got == 0) return Fail("Runtime API closed the connection mid-body");
    dst += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool HttpClient::ReadBody(const HttpResponse& response, std::string* body, bool* must_close) {
  body->clear();
  std::string_view connection = response.Header("Connection");
  *must_close = response.minor_version_ == 0 ? !HasToken(connection, "keep-alive")
                                             : HasToken(connection, "close");
  if (auto te = response.Find("Transfer-Encoding"); te && !te->empty()) {
    if (!HasToken(*te, "chunked")) return Fail("unsupported Transfer-Encoding from Runtime API");
    return ReadChunked(body);
  }
  if (auto cl = response.Find("Content-Length")) {
    size_t length = 0;
    auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (ec != std::errc() || end != cl->data() + cl->size() || length > kMaxBodySize) {
      return Fail("bad Content-Length from Runtime API");
    }
    body->resize(length);
    return ReadExact(body->data(), length);
  }
  if (response.status_ == 204 || response.status_ == 304) return true;
  *must_close = true;  // the body runs until the server closes the connection
  return ReadUntilClose(body);
}

bool HttpClient::ReadChunked(std::string* body) {
  std::string_view line;
  for (;;) {
    if (!ReadLine(&line)) return false;
    size_t size = 0;
    const char* digits_end = line.data() + line.size();
    auto [end, ec] = std::from_chars(line.data(), digits_end, size, 16);
    if (ec != std::errc() || (end != digits_end && *end != ';' && *end != ' ' && *end != '\t')) {
      return Fail("bad chunk size from Runtime API");
    }
    if (size == 0) break;
    if (size > kMaxBodySize - body->size()) return Fail("chunked body from Runtime API too big");
    size_t old_size = body->size();
    body->resize(old_size + size);
    if (!ReadExact(body->data() + old_size, size)) return false;
    if (!ReadLine(&line)) return false;
    if (!line.empty()) return Fail("chunk not followed by CRLF from Runtime API");
  }
  do {  // trailer fields, up to the empty line
    if (!ReadLine(&line)) return false;
  } while (!line.empty());
  return true;
}

bool HttpClient::ReadUntilClose(std::string* body) {
  body->assign(in_.get() + in_begin_, in_end_ - in_begin_);
  in_begin_ = in_end_ = 0;
  for (;;) {
    ssize_t n = Fill();
    if (n < 0) return false;
    if (n == 0) break;
    if (body->size() + in_end_ > kMaxBodySize) return Fail("body from Runtime API too big");
    body->append(in_.get(), in_end_);
    in_end_ = 0;
  }
  return true;
}

}  // namespace kindling::runtime::internal
