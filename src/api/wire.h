// The Lambda REST wire format: FunctionConfiguration and AliasConfiguration documents out,
// request bodies in. Field names, ARN qualification rules and omissions follow spec §2.
#pragma once

#include <boost/json/fwd.hpp>

#include <string>

#include "control/arn.h"
#include "control/function_config.h"
#include "control/inputs.h"
#include "control/registry.h"
#include "util/status.h"

namespace kindling::api {

enum class ConfigView {
  kDetail,          // Create/Get/Update/Publish: State, LastUpdateStatus, RuntimeVersionConfig
  kList,            // ListFunctions: $LATEST unqualified, no state fields
  kListQualified,   // ListVersionsByFunction, ListFunctions?FunctionVersion=ALL: ":$LATEST"
};

boost::json::object FunctionConfigJson(const control::FunctionConfig& c,
                                       const control::Account& account, ConfigView view);
boost::json::object AliasJson(const control::AliasConfig& a, const std::string& function,
                              const control::Account& account);

// Parses a control-plane request body ("" counts as {}). InvalidRequestContentException on bad
// JSON or a field of the wrong type.
Result<boost::json::object> ParseBody(const std::string& body);

Result<control::CreateFunctionInput> ParseCreateFunction(const boost::json::object& o);
Result<control::UpdateConfigInput> ParseUpdateConfig(const boost::json::object& o);
Result<control::UpdateCodeInput> ParseUpdateCode(const boost::json::object& o);
Result<control::PublishInput> ParsePublish(const boost::json::object& o);
// CreateAlias also reads "Name" (returned through `name`).
Result<control::AliasInput> ParseAlias(const boost::json::object& o, std::string* name);
Result<std::map<std::string, std::string>> ParseTags(const boost::json::object& o);

// True if `payload` is one well-formed JSON value (nesting up to 512 levels). Allocation-free.
bool IsValidJson(std::string_view payload, std::string* error);

}  // namespace kindling::api
