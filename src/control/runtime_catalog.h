// RuntimeCatalog: which Lambda runtime identifiers this host can run, and with what.
//
// Lambda's identifiers are mapped to installed interpreters only where that is honest:
// `python3.N` needs /usr/bin/python3.N, `nodejsN.x` needs a Node.js of major version N,
// `provided`, `provided.al2` and `provided.al2023` run the package's own `bootstrap`.
// Other identifiers from Lambda's list are refused with InvalidParameterValueException naming
// what is available; strings that are not Lambda runtimes at all get ValidationException.
//
// Built once at start-up (Detect probes the host); read-only afterwards, so thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace kindling::control {

enum class RuntimeFamily { kPython, kNode, kProvided };

struct RuntimeInfo {
  std::string id;              // "python3.11"
  RuntimeFamily family;
  std::string executable;      // "/usr/bin/python3.11"; empty for provided
  std::string execution_env;   // AWS_EXECUTION_ENV: "AWS_Lambda_python3.11"; empty for provided
  std::string version_label;   // INIT_START "Runtime Version: python:3.11.2"
};

class RuntimeCatalog {
 public:
  explicit RuntimeCatalog(std::vector<RuntimeInfo> runtimes) : runtimes_(std::move(runtimes)) {}

  // Probes this host for Python and Node interpreters.
  static RuntimeCatalog Detect();

  // The runtime for `id`, or the Lambda error for an unknown or unavailable identifier.
  Result<const RuntimeInfo*> Find(std::string_view id) const;

  std::vector<std::string> AvailableIds() const;

  // Every identifier Lambda's API accepts (the Runtime enum of the service model).
  static const std::vector<std::string>& LambdaRuntimeIds();

 private:
  std::vector<RuntimeInfo> runtimes_;
};

}  // namespace kindling::control
