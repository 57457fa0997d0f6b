#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace kindling::http {
namespace {

namespace asio = boost::asio;

class EchoHandler : public Handler {
 public:
  BodyPolicy OnHeader(const RequestHeader& h) override {
    if (h.target() == "/big") return {.limit = 3 << 20, .drain_limit = 3 << 20};
    return {.limit = 100, .drain_limit = 1000};
  }
  void OnRequest(Request&& req, ResponseSink sink) override {
    if (req.target() == "/later") {
      // Answer from another thread: the sink must post back to the session's loop.
      std::thread([sink, body = req.body()]() mutable {
        sink.Send(MakeResponse(200, "later:" + body, "text/plain"));
      }).detach();
      return;
    }
    sink.Send(MakeResponse(200, std::string(req.target()) + ":" + req.body(), "text/plain"));
  }
  Response OnBodyTooLarge(const RequestHeader&) override {
    return MakeResponse(413, "too large", "text/plain");
  }
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    ServerOptions opts;
    opts.request_timeout = std::chrono::seconds(2);
    opts.header_limit = 4096;
    AcceptLoop(acceptor_, handler_, opts);
    thread_ = std::thread([this] { ctx_.run(); });
  }
  void TearDown() override {
    asio::post(ctx_, [this] { acceptor_.close(); });
    ctx_.stop();
    thread_.join();
  }

  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }
  static void SendAll(int fd, const std::string& s) {
    ASSERT_EQ(write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  // Reads one response (headers + Content-Length body).
  static std::string ReadResponse(int fd) {
    std::string got;
    char buf[4096];
    while (true) {
      auto hdr_end = got.find("\r\n\r\n");
      if (hdr_end != std::string::npos) {
        auto cl = got.find("Content-Length: ");
        size_t len = cl == std::string::npos ? 0 : std::stoul(got.substr(cl + 16));
        if (got.size() >= hdr_end + 4 + len) return got.substr(0, hdr_end + 4 + len);
      }
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return got;
      got.append(buf, static_cast<size_t>(n));
    }
  }

  asio::io_context ctx_;
  asio::ip::tcp::acceptor acceptor_{ctx_};
  std::shared_ptr<EchoHandler> handler_ = std::make_shared<EchoHandler>();
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  int fd = Connect();
  for (int i = 0; i < 3; ++i) {
    SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    auto r = ReadResponse(fd);
    EXPECT_NE(r.find("200 OK"), std::string::npos) << r;
    EXPECT_NE(r.find("/echo:hi"), std::string::npos) << r;
  }
  close(fd);
}

TEST_F(ServerTest, ResponseFromAnotherThreadIsDelivered) {
  int fd = Connect();
  SendAll(fd, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("later:abc"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, OversizedBodyWithinDrainLimitGets413AndConnectionStaysUsable) {
  int fd = Connect();
  std::string body(500, 'x');
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + body);
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("413"), std::string::npos) << r;
  EXPECT_NE(r.find("too large"), std::string::npos);
  SendAll(fd, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
  r = ReadResponse(fd);
  EXPECT_NE(r.find("/after:"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, BodiesAboveBeastsDefaultLimitAreAcceptedWhenThePolicyAllows) {
  int fd = Connect();
  std::string body(2 << 20, 'z');
  SendAll(fd, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n\r\n" + body);
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("200 OK"), std::string::npos) << r.substr(0, 200);
  EXPECT_EQ(r.size() - r.find("\r\n\r\n") - 4, body.size() + 5);  // "/big:" + body
  close(fd);
}

TEST_F(ServerTest, BodyBeyondDrainLimitGets413AndClose) {
  int fd = Connect();
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("413"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, ChunkedBodyOverLimitGets413) {
  int fd = Connect();
  std::string chunk(150, 'y');
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n96\r\n" + chunk +
                  "\r\n0\r\n\r\n");
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("413"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, ExpectContinueGets100ThenTheAnswer) {
  int fd = Connect();
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue", 0), 0u);
  SendAll(fd, "ok");
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("/echo:ok"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, GarbageGets400) {
  int fd = Connect();
  SendAll(fd, "NOT HTTP AT ALL\r\n\r\n");
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("400"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, HugeHeaderGets431) {
  int fd = Connect();
  SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  auto r = ReadResponse(fd);
  EXPECT_NE(r.find("431"), std::string::npos) << r;
  close(fd);
}

TEST_F(ServerTest, SlowRequestIsCutOffAtTheDeadline) {
  int fd = Connect();
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
  char buf[64];
  auto start = std::chrono::steady_clock::now();
  ssize_t n = read(fd, buf, sizeof(buf));  // server closes after request_timeout (2 s)
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(n, 0);
  EXPECT_LT(waited, std::chrono::seconds(4));
  close(fd);
}

}  // namespace
}  // namespace kindling::http
