// FakeRuntimeApi: a scripted Lambda Runtime API server for testing kindling/runtime.h.
//
// It listens on 127.0.0.1 with an ephemeral port and serves, in order, one scripted Reply per
// request it receives, recording each request. Replies are raw bytes sent in pieces (with a pause
// between pieces) so that the client sees partial reads. Once the script is used up it closes the
// connection, which makes Run() return; if the client closes first, the server stops too. Thread
// safety: construct, Start(), then read requests() and connections() only after Join().
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace kindling::runtime::testing {

struct Reply {
  std::vector<std::string> pieces;  // raw HTTP bytes, sent one piece at a time
  bool close_after = false;         // close the connection after this reply
};

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class FakeRuntimeApi {
 public:
  explicit FakeRuntimeApi(std::vector<Reply> script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ok_ = listen_fd_ >= 0 && ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
          ::listen(listen_fd_, 8) == 0 &&
          ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    port_ = ntohs(addr.sin_port);
  }
  ~FakeRuntimeApi() {
    Join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  bool ok() const { return ok_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Start() {
    thread_ = std::thread([this] { Serve(); });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<RecordedRequest>& requests() const { return requests_; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    size_t next = 0;
    while (next < script_.size()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) return;  // the client never came back
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++connections_;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::string in;
      bool client_left = false;
      while (next < script_.size()) {
        RecordedRequest request;
        if (!ReadRequest(fd, &in, &request)) {
          client_left = true;  // the client gave up (e.g. exited): serve nothing more
          break;
        }
        requests_.push_back(std::move(request));
        const Reply& reply = script_[next++];
        for (size_t i = 0; i < reply.pieces.size(); ++i) {
          if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          SendAll(fd, reply.pieces[i]);
        }
        if (reply.close_after) break;
      }
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      if (client_left) return;
    }
  }

  static void SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  // Reads one Content-Length-framed request (what the library sends) from fd.
  static bool ReadRequest(int fd, std::string* in, RecordedRequest* request) {
    size_t head_end;
    while ((head_end = in->find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(fd, in)) return false;
    }
    std::string head = in->substr(0, head_end + 2);
    in->erase(0, head_end + 4);
    size_t eol = head.find("\r\n");
    std::string line = head.substr(0, eol);
    size_t sp1 = line.find(' ');
    size_t sp2 = line.find(' ', sp1 + 1);
    request->method = line.substr(0, sp1);
    request->path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    for (size_t pos = eol + 2; pos < head.size();) {
      size_t end = head.find("\r\n", pos);
      std::string field = head.substr(pos, end - pos);
      pos = end + 2;
      size_t colon = field.find(':');
      std::string name = field.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t value_start = field.find_first_not_of(' ', colon + 1);
      request->headers[name] = value_start == std::string::npos ? "" : field.substr(value_start);
    }
    size_t length = std::stoul(request->headers.count("content-length") != 0
                                   ? request->headers["content-length"]
                                   : std::string("0"));
    while (in->size() < length) {
      if (!ReadMore(fd, in)) return false;
    }
    request->body = in->substr(0, length);
    in->erase(0, length);
    return true;
  }

  static bool ReadMore(int fd, std::string* in) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    in->append(buf, static_cast<size_t>(n));
    return true;
  }

  std::vector<Reply> script_;
  std::vector<RecordedRequest> requests_;
  int connections_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
};

}  // namespace kindling::runtime::testing
