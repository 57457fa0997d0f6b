#include "cli/fake_lambda_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/check.h"
#include "util/strings.h"

namespace kindling::cli::testing {

namespace {

constexpr int kPollMs = 20;

int BindLoopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  KCHECK(fd >= 0) << strerror(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  KCHECK(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) << strerror(errno);
  socklen_t len = sizeof(addr);
  KCHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    default: return "Status";
  }
}

}  // namespace

FakeLambdaServer::FakeLambdaServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = BindLoopback(&port_);
  KCHECK(listen(listen_fd_, 16) == 0) << strerror(errno);
  thread_ = std::thread([this] { Loop(); });
}

FakeLambdaServer::~FakeLambdaServer() {
  stop_.store(true);
  thread_.join();
  close(listen_fd_);
}

std::vector<RecordedRequest> FakeLambdaServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

CannedResponse FakeLambdaServer::Error(int status, const std::string& type,
                                       const std::string& body) {
  return {status, {{"x-amzn-ErrorType", type}, {"Content-Type", "application/json"}}, body};
}

void FakeLambdaServer::Loop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, kPollMs) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd);
    close(fd);
  }
}

void FakeLambdaServer::Serve(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string data;
  char buf[65536];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
  }
  RecordedRequest req;
  std::vector<std::string_view> lines = Split(std::string_view(data).substr(0, header_end), '\n');
  std::vector<std::string_view> first = Split(Trim(lines[0]), ' ');
  if (first.size() < 2) return;
  req.method = std::string(first[0]);
  req.target = std::string(first[1]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    req.headers[ToLower(Trim(lines[i].substr(0, colon)))] =
        std::string(Trim(lines[i].substr(colon + 1)));
  }
  const size_t length =
      static_cast<size_t>(ParseInt(req.Header("content-length")).value_or(0));
  req.body = data.substr(header_end + 4);
  while (req.body.size() < length) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    req.body.append(buf, static_cast<size_t>(n));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
  }
  CannedResponse res = handler_(req);
  std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + Reason(res.status) + "\r\n";
  for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
  out += "x-amzn-RequestId: 00000000-0000-0000-0000-000000000001\r\n";
  out += "Content-Length: " + std::to_string(res.body.size()) + "\r\nConnection: close\r\n\r\n";
  out += res.body;
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string UnusedLocalUrl() {
  int port = 0;
  int fd = BindLoopback(&port);
  close(fd);
  return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace kindling::cli::testing
