#include "control/validation.h"

#include <algorithm>
#include <regex>

#include "control/function_config.h"

namespace kindling::control {

void Validator::Range(std::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value < min) {
    errors_.push_back("Value '" + std::to_string(value) + "' at '" + std::string(field) +
                      "' failed to satisfy constraint: Member must have value greater than or "
                      "equal to " + std::to_string(min));
  } else if (value > max) {
    errors_.push_back("Value '" + std::to_string(value) + "' at '" + std::string(field) +
                      "' failed to satisfy constraint: Member must have value less than or "
                      "equal to " + std::to_string(max));
  }
}

void Validator::Length(std::string_view field, std::string_view value, size_t min, size_t max) {
  if (value.size() < min) {
    errors_.push_back("Value '" + std::string(value) + "' at '" + std::string(field) +
                      "' failed to satisfy constraint: Member must have length greater than or "
                      "equal to " + std::to_string(min));
  } else if (value.size() > max) {
    errors_.push_back("Value '" + std::string(value) + "' at '" + std::string(field) +
                      "' failed to satisfy constraint: Member must have length less than or "
                      "equal to " + std::to_string(max));
  }
}

void Validator::Pattern(std::string_view field, std::string_view value, bool ok,
                        std::string_view pattern) {
  if (!ok) {
    errors_.push_back("Value '" + std::string(value) + "' at '" + std::string(field) +
                      "' failed to satisfy constraint: Member must satisfy regular expression "
                      "pattern: " + std::string(pattern));
  }
}

void Validator::Enum(std::string_view field, std::string_view value,
                     const std::vector<std::string>& set) {
  if (std::find(set.begin(), set.end(), value) != set.end()) return;
  std::string joined;
  for (const auto& s : set) joined += (joined.empty() ? "" : ", ") + s;
  errors_.push_back("Value '" + std::string(value) + "' at '" + std::string(field) +
                    "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                    joined + "]");
}

void Validator::Fail(std::string message) { errors_.push_back(std::move(message)); }

Status Validator::Finish() const {
  if (errors_.empty()) return Status::Ok();
  std::string msg = std::to_string(errors_.size()) +
                    (errors_.size() == 1 ? " validation error detected: "
                                         : " validation errors detected: ");
  for (size_t i = 0; i < errors_.size(); ++i) {
    if (i) msg += "; ";
    msg += errors_[i];
  }
  return ValidationError(msg);
}

bool IsValidRole(std::string_view role) {
  static const std::regex re(R"(arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)");
  return std::regex_match(role.begin(), role.end(), re);
}

namespace {

bool NoWhitespace(std::string_view s) {
  return !s.empty() && s.find_first_of(" \t\r\n\v\f") == std::string_view::npos;
}

}  // namespace

void ValidateConfigFields(const ConfigInput& c, Validator* v) {
  if (c.role) {
    v->Pattern("role", *c.role, IsValidRole(*c.role),
               R"(arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)");
  }
  if (c.handler) {
    v->Length("handler", *c.handler, 0, 128);
    if (c.handler->size() <= 128) v->Pattern("handler", *c.handler, NoWhitespace(*c.handler), R"([^\s]+)");
  }
  if (c.description) v->Length("description", *c.description, 0, 256);
  if (c.timeout) v->Range("timeout", *c.timeout, 1, kMaxTimeoutSeconds);
  if (c.memory_size) v->Range("memorySize", *c.memory_size, kMinMemoryMb, kMaxMemoryMb);
  if (c.ephemeral_storage) {
    v->Range("ephemeralStorage.size", *c.ephemeral_storage, kMinEphemeralMb, kMaxEphemeralMb);
  }
  if (c.tracing_mode) v->Enum("tracingConfig.mode", *c.tracing_mode, {"Active", "PassThrough"});
  if (c.log_format) v->Enum("loggingConfig.logFormat", *c.log_format, {"JSON", "Text"});
  static const std::vector<std::string> kLevels = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR",
                                                   "FATAL"};
  if (c.application_log_level) {
    v->Enum("loggingConfig.applicationLogLevel", *c.application_log_level, kLevels);
  }
  if (c.system_log_level) {
    v->Enum("loggingConfig.systemLogLevel", *c.system_log_level, {"DEBUG", "INFO", "WARN"});
  }
  if (c.log_group) v->Length("loggingConfig.logGroup", *c.log_group, 1, 512);
  if (c.layers && c.layers->size() > 5) {
    v->Fail("Value '[...]' at 'layers' failed to satisfy constraint: Member must have length "
            "less than or equal to 5");
  }
}

Status CheckEnvironmentSize(const std::map<std::string, std::string>& env) {
  std::string measured = EnvironmentJson(env);
  if (measured.size() > kMaxEnvironmentBytes) {
    return InvalidParameter(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: " + measured);
  }
  return Status::Ok();
}

Status CheckEnvironmentKeys(const std::map<std::string, std::string>& env) {
  static const std::regex key_re("[a-zA-Z]([a-zA-Z0-9_])+");
  static const std::vector<std::string> kReserved = {
      "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
      "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
      "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
      "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"};
  std::vector<std::string> bad;
  for (const auto& [k, v] : env) {
    if (!std::regex_match(k, key_re)) {
      return ValidationError("1 validation error detected: Value at "
                             "'environment.variables' failed to satisfy constraint: Map keys "
                             "must satisfy constraint: [Member must satisfy regular expression "
                             "pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
    }
    if (std::find(kReserved.begin(), kReserved.end(), k) != kReserved.end()) bad.push_back(k);
  }
  if (!bad.empty()) {
    std::string list;
    for (const auto& b : bad) list += (list.empty() ? "" : ",") + b;
    return InvalidParameter(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: " + list);
  }
  return Status::Ok();
}

Status CheckTags(const std::map<std::string, std::string>& tags) {
  if (tags.size() > 50) {
    return InvalidParameter("Number of tags exceeds resource tag limit. Maximum 50 tags.");
  }
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128) {
      return ValidationError("1 validation error detected: Value '" + k +
                             "' at 'tags' failed to satisfy constraint: Map keys must satisfy "
                             "constraint: [Member must have length less than or equal to 128, "
                             "Member must have length greater than or equal to 1]");
    }
    if (v.size() > 256) {
      return ValidationError("1 validation error detected: Value at 'tags' failed to satisfy "
                             "constraint: Map value must satisfy constraint: [Member must have "
                             "length less than or equal to 256]");
    }
    if (k.rfind("aws:", 0) == 0) {
      return InvalidParameter("Tag keys with the prefix 'aws:' are reserved for AWS use.");
    }
  }
  return Status::Ok();
}

}  // namespace kindling::control
