// `kindling deploy`: zip a folder, then CreateFunction, or UpdateFunctionCode followed by
// UpdateFunctionConfiguration when the function already exists.
#include <boost/json/serialize.hpp>

#include <ostream>

#include "cli/client_commands.h"
#include "cli/http_client.h"
#include "cli/json_fields.h"
#include "cli/lambda_client.h"
#include "cli/zip_writer.h"
#include "util/encoding.h"

namespace kindling::cli {

namespace json = boost::json;
using Verb = http::bhttp::verb;

namespace {

// The configuration members of a CreateFunction or UpdateFunctionConfiguration body.
json::object ConfigurationJson(const DeployOptions& o, bool creating) {
  json::object body;
  body["Runtime"] = o.runtime;
  body["Handler"] = o.handler;
  if (o.memory_mb) body["MemorySize"] = *o.memory_mb;
  if (o.timeout_s) body["Timeout"] = *o.timeout_s;
  if (o.env) {
    json::object vars;
    for (const auto& [k, v] : *o.env) vars[k] = v;
    body["Environment"] = json::object{{"Variables", std::move(vars)}};
  }
  if (o.role) {
    body["Role"] = *o.role;
  } else if (creating) {
    body["Role"] = kDefaultRole;
  }
  if (o.description) body["Description"] = *o.description;
  return body;
}

// "deployed N (python3.11, app.handler, 128 MB, 3 s) CodeSha256=..." from the returned
// FunctionConfiguration (falling back to what was asked for).
std::string DeployedLine(const DeployOptions& o, const json::value& config,
                         const std::string& local_sha) {
  static const json::object kEmpty;
  const json::object& c = config.is_object() ? config.get_object() : kEmpty;
  const std::string memory = o.memory_mb ? std::to_string(*o.memory_mb) : "?";
  const std::string timeout = o.timeout_s ? std::to_string(*o.timeout_s) : "?";
  return "deployed " + FieldText(c, "FunctionName", o.name) + " (" +
         FieldText(c, "Runtime", o.runtime) + ", " + FieldText(c, "Handler", o.handler) + ", " +
         FieldText(c, "MemorySize", memory) + " MB, " + FieldText(c, "Timeout", timeout) +
         " s) CodeSha256=" + FieldText(c, "CodeSha256", local_sha);
}

}  // namespace

Result<std::map<std::string, std::string>> ParseEnvAssignments(
    const std::vector<std::string>& assignments) {
  std::map<std::string, std::string> env;
  for (const std::string& a : assignments) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos) {
      return InvalidParameter("invalid environment variable '" + a + "' (expected K=V)");
    }
    if (eq == 0) return InvalidParameter("environment variable '" + a + "' has an empty name");
    env[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return env;
}

int RunDeploy(const DeployOptions& o, const Io& io) {
  auto zip = ZipDirectory(o.dir);
  if (!zip.ok()) return Fail(io, zip.status());
  for (const std::string& w : zip->warnings) *io.err << "kindling: warning: " << w << "\n";
  if (zip->entries == 0) return Fail(io, InvalidParameter("nothing to deploy: " + o.dir + " is empty"));
  auto endpoint = ParseEndpoint(o.endpoint);
  if (!endpoint.ok()) return Fail(io, endpoint.status());
  HttpClient http(*endpoint);
  LambdaClient client(&http);

  const std::string code = Base64Encode(zip->bytes);
  const std::string path = FunctionPath(o.name);
  Result<json::value> config = Internal("no response");
  auto existing = client.Call(Verb::get, path);
  if (existing.ok()) {
    auto updated = client.CallJson(Verb::put, path + "/code",
                                   json::serialize(json::object{{"ZipFile", code}}));
    if (!updated.ok()) return Fail(io, updated.status());
    config = client.CallJson(Verb::put, path + "/configuration",
                             json::serialize(ConfigurationJson(o, /*creating=*/false)));
  } else if (existing.status().detail() == "ResourceNotFoundException") {
    json::object body = ConfigurationJson(o, /*creating=*/true);
    body["FunctionName"] = o.name;
    body["Code"] = json::object{{"ZipFile", code}};
    config = client.CallJson(Verb::post, "/2015-03-31/functions", json::serialize(body));
  } else {
    return Fail(io, existing.status());
  }
  if (!config.ok()) return Fail(io, config.status());
  *io.out << DeployedLine(o, *config, Base64Encode(Sha256(zip->bytes))) << std::endl;
  return 0;
}

}  // namespace kindling::cli
