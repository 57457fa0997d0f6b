// FakeLambdaServer: a tiny HTTP/1.1 server on 127.0.0.1 for the cli tests. It records every
// request and answers each with whatever the test's handler returns (canned Lambda responses),
// one request per connection (it always answers `Connection: close`).
//
// Threading: serves on its own thread; the handler runs on that thread. requests() may be
// called from any thread. The destructor stops and joins the thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kindling::cli::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct CannedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class FakeLambdaServer {
 public:
  using Handler = std::function<CannedResponse(const RecordedRequest&)>;

  explicit FakeLambdaServer(Handler handler);
  ~FakeLambdaServer();
  FakeLambdaServer(const FakeLambdaServer&) = delete;
  FakeLambdaServer& operator=(const FakeLambdaServer&) = delete;

  // "http://127.0.0.1:<port>"
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<RecordedRequest> requests() const;

  // A canned AWS-style error: x-amzn-ErrorType header and a JSON body.
  static CannedResponse Error(int status, const std::string& type, const std::string& body);

 private:
  void Loop();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  std::thread thread_;
};

// A local URL on which nothing listens (a port that was just bound and released).
std::string UnusedLocalUrl();

}  // namespace kindling::cli::testing
