// `kindling invoke` (Invoke) and `kindling rm` (DeleteFunction).
#include <istream>
#include <iterator>
#include <ostream>

#include "cli/client_commands.h"
#include "cli/http_client.h"
#include "cli/lambda_client.h"
#include "util/encoding.h"

namespace kindling::cli {

using Verb = http::bhttp::verb;

Result<std::string> ResolvePayload(const std::optional<std::string>& arg, std::istream& in) {
  if (!arg) return std::string("{}");
  if (*arg != "-") return *arg;
  std::string payload{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Internal("cannot read the payload from stdin");
  return payload;
}

int RunInvoke(const InvokeOptions& o, const Io& io) {
  auto payload = ResolvePayload(o.payload, *io.in);
  if (!payload.ok()) return Fail(io, payload.status());
  auto endpoint = ParseEndpoint(o.endpoint);
  if (!endpoint.ok()) return Fail(io, endpoint.status());
  HttpClient http(*endpoint);
  LambdaClient client(&http);

  HeaderList headers;
  if (o.tail) headers.emplace_back("X-Amz-Log-Type", "Tail");
  if (o.async) headers.emplace_back("X-Amz-Invocation-Type", "Event");
  auto res = client.Call(Verb::post,
                         FunctionPath(o.function) + "/invocations" + QualifierQuery(o.qualifier),
                         std::move(payload).value(), headers);
  if (!res.ok()) return Fail(io, res.status());

  std::string_view log = (*res)["X-Amz-Log-Result"];
  if (o.tail && !log.empty()) {
    auto text = Base64Decode(log);
    if (text) {
      *io.err << *text;
      if (!text->empty() && text->back() != '\n') *io.err << '\n';
    } else {
      *io.err << "kindling: warning: the X-Amz-Log-Result header is not valid base64\n";
    }
    io.err->flush();
  }
  const std::string& body = res->body();
  if (!body.empty()) *io.out << body << '\n';
  io.out->flush();
  if (o.async && body.empty()) {
    *io.err << "accepted: request id " << (*res)["x-amzn-RequestId"] << std::endl;
  }
  std::string_view function_error = (*res)["X-Amz-Function-Error"];
  if (!function_error.empty()) {
    *io.err << "kindling: function error (" << function_error << ")" << std::endl;
    return 1;
  }
  return 0;
}

int RunRemove(const RemoveOptions& o, const Io& io) {
  auto endpoint = ParseEndpoint(o.endpoint);
  if (!endpoint.ok()) return Fail(io, endpoint.status());
  HttpClient http(*endpoint);
  LambdaClient client(&http);
  auto res = client.Call(Verb::delete_, FunctionPath(o.function) + QualifierQuery(o.qualifier));
  if (!res.ok()) return Fail(io, res.status());
  *io.out << "deleted " << o.function << (o.qualifier.empty() ? "" : ":" + o.qualifier)
          << std::endl;
  return 0;
}

}  // namespace kindling::cli
