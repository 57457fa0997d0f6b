// LambdaApi: the HTTP handler for everything kindling serves on its API port — the Lambda REST
// API (/2015-03-31/..., spec §2 and §4) plus kindling's own endpoints (/kindling/...).
//
// Invoke runs on the event loop that read the request: it resolves the function in the
// registry snapshot (no disk, no global lock) and hands the invocation to the Dispatcher.
// Control-plane operations are posted to the single control thread, which owns the
// FunctionService and the state store; their answers are sent back through the ResponseSink.
//
// Threading: OnHeader/OnRequest on loop threads; control operations on the control loop.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "control/function_service.h"
#include "http/server.h"
#include "util/published.h"

namespace kindling::store {
class CodeStore;
}
namespace kindling::observe {
class LogStore;
}
namespace kindling::runtime {
class Dispatcher;
}

namespace kindling::api {

struct ApiContext {
  control::FunctionService* functions = nullptr;     // control thread only
  boost::asio::io_context* control_loop = nullptr;
  runtime::Dispatcher* dispatcher = nullptr;
  const Published<control::Registry>* registry = nullptr;
  observe::LogStore* logs = nullptr;
  store::CodeStore* code = nullptr;
  control::Account account;
  int max_concurrency = 1000;
};

// A request split into what routing needs.
struct ApiRequest {
  http::Request http;
  std::string request_id;
  std::vector<std::string> segments;  // percent-decoded path segments
  std::multimap<std::string, std::string> query;

  std::optional<std::string> Query(const std::string& key) const;
  std::vector<std::string> QueryAll(const std::string& key) const;
  // Host header, for links back to this server.
  std::string Host() const;
};

class LambdaApi : public http::Handler {
 public:
  explicit LambdaApi(ApiContext ctx) : ctx_(std::move(ctx)) {}

  http::BodyPolicy OnHeader(const http::RequestHeader& header) override;
  void OnRequest(http::Request&& request, http::ResponseSink sink) override;
  http::Response OnBodyTooLarge(const http::RequestHeader& header) override;
  http::Response OnBadRequest(std::string_view what) override;

 private:
  using Op = std::function<Result<http::Response>(const ApiRequest&)>;

  void Invoke(ApiRequest& req, const std::string& function, http::ResponseSink sink,
              bool legacy_async);
  // Runs `op` on the control thread and answers with its result.
  void OnControl(ApiRequest req, http::ResponseSink sink, Op op);

  // Control operations (control_ops.cc); each runs on the control thread.
  Result<http::Response> CreateFunction(const ApiRequest& r);
  Result<http::Response> GetFunction(const ApiRequest& r, const std::string& fn);
  Result<http::Response> GetFunctionConfiguration(const ApiRequest& r, const std::string& fn);
  Result<http::Response> UpdateFunctionCode(const ApiRequest& r, const std::string& fn);
  Result<http::Response> UpdateFunctionConfiguration(const ApiRequest& r, const std::string& fn);
  Result<http::Response> DeleteFunction(const ApiRequest& r, const std::string& fn);
  Result<http::Response> ListFunctions(const ApiRequest& r);
  Result<http::Response> PublishVersion(const ApiRequest& r, const std::string& fn);
  Result<http::Response> ListVersions(const ApiRequest& r, const std::string& fn);
  Result<http::Response> CreateAlias(const ApiRequest& r, const std::string& fn);
  Result<http::Response> GetAlias(const ApiRequest& r, const std::string& fn,
                                  const std::string& alias);
  Result<http::Response> UpdateAlias(const ApiRequest& r, const std::string& fn,
                                     const std::string& alias);
  Result<http::Response> DeleteAlias(const ApiRequest& r, const std::string& fn,
                                     const std::string& alias);
  Result<http::Response> ListAliases(const ApiRequest& r, const std::string& fn);
  Result<http::Response> TagResource(const ApiRequest& r, const std::string& arn);
  Result<http::Response> UntagResource(const ApiRequest& r, const std::string& arn);
  Result<http::Response> ListTags(const ApiRequest& r, const std::string& arn);
  Result<http::Response> GetAccountSettings(const ApiRequest& r);
  Result<http::Response> GetLogs(const ApiRequest& r, const std::string& fn);
  Result<http::Response> PutFunctionConcurrency(const ApiRequest& r, const std::string& fn);
  Result<http::Response> GetFunctionConcurrency(const ApiRequest& r, const std::string& fn);
  Result<http::Response> DeleteFunctionConcurrency(const ApiRequest& r, const std::string& fn);
  Result<http::Response> PutProvisioned(const ApiRequest& r, const std::string& fn);
  Result<http::Response> GetProvisioned(const ApiRequest& r, const std::string& fn);
  Result<http::Response> DeleteProvisioned(const ApiRequest& r, const std::string& fn);
  Result<http::Response> DownloadCode(const ApiRequest& r, const std::string& hex);

  // Function name of an operation on the unqualified function (tags, publish, aliases...).
  Result<std::string> UnqualifiedName(const std::string& input) const;

  ApiContext ctx_;
};

}  // namespace kindling::api
