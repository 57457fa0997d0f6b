#include "control/arn.h"

#include "util/strings.h"

namespace kindling::control {

std::string FunctionArn(const Account& account, std::string_view name) {
  std::string arn = "arn:aws:lambda:";
  arn += account.region;
  arn += ':';
  arn += account.account_id;
  arn += ":function:";
  arn += name;
  return arn;
}

std::string QualifiedArn(const Account& account, std::string_view name,
                         std::string_view qualifier) {
  std::string arn = FunctionArn(account, name);
  arn += ':';
  arn += qualifier;
  return arn;
}

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

bool AllNameChars(std::string_view s) {
  for (char c : s)
    if (!IsNameChar(c)) return false;
  return true;
}

bool IsQualifier(std::string_view s) {
  return s == kLatest || (!s.empty() && s.size() <= 128 && AllNameChars(s));
}

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

constexpr std::string_view kNamePattern =
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
    "([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";

Status PatternError(std::string_view input) {
  return ValidationError("1 validation error detected: Value '" + std::string(input) +
                         "' at 'functionName' failed to satisfy constraint: Member must satisfy "
                         "regular expression pattern: " +
                         std::string(kNamePattern));
}

}  // namespace

bool IsValidFunctionName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && AllNameChars(s);
}

bool IsValidAliasName(std::string_view s) {
  return !s.empty() && s.size() <= 128 && AllNameChars(s) && !IsVersionNumber(s) &&
         s.find_first_not_of("0123456789") != std::string_view::npos;
}

bool IsVersionNumber(std::string_view s) {
  if (s.empty() || s.size() > 10 || s[0] == '0') return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

Result<FunctionRef> ParseFunctionName(std::string_view input,
                                      const std::optional<std::string>& explicit_qualifier,
                                      const Account& account, QualifierRule rule) {
  if (input.empty()) {
    return ValidationError(
        "1 validation error detected: Value '' at 'functionName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1");
  }
  if (input.size() > 256) {
    return ValidationError("1 validation error detected: Value '" + std::string(input) +
                           "' at 'functionName' failed to satisfy constraint: Member must have "
                           "length less than or equal to 256");
  }
  auto parts = Split(input, ':');
  std::string_view name;
  std::optional<std::string_view> qualifier;
  std::optional<std::string_view> region, account_id;
  if (parts[0] == "arn") {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    if (parts.size() < 7 || parts.size() > 8 || parts[1].rfind("aws", 0) != 0 ||
        parts[2] != "lambda" || parts[5] != "function") {
      return PatternError(input);
    }
    region = parts[3];
    account_id = parts[4];
    name = parts[6];
    if (parts.size() == 8) qualifier = parts[7];
  } else if (parts.size() >= 3 && parts[1] == "function") {
    // account:function:name[:qualifier]
    if (parts.size() > 4) return PatternError(input);
    account_id = parts[0];
    name = parts[2];
    if (parts.size() == 4) qualifier = parts[3];
  } else {
    if (parts.size() > 2) return PatternError(input);
    name = parts[0];
    if (parts.size() == 2) qualifier = parts[1];
  }
  if (!IsValidFunctionName(name)) {
    if (name.size() > 64 && AllNameChars(name)) {
      return ValidationError("1 validation error detected: Value '" + std::string(input) +
                             "' at 'functionName' failed to satisfy constraint: Member must have "
                             "length less than or equal to 64");
    }
    return PatternError(input);
  }
  if (qualifier && !IsQualifier(*qualifier)) return PatternError(input);
  if (account_id && !IsAccountId(*account_id)) return PatternError(input);
  if (region && *region != account.region) {
    return NotFound("Functions from '" + std::string(*region) +
                    "' are not reachable in this region ('" + account.region + "')");
  }
  if (account_id && *account_id != account.account_id) {
    return Status(ErrorCode::kAccessDenied,
                  "User is not authorized to access functions in account " +
                      std::string(*account_id));
  }
  FunctionRef ref;
  ref.name = std::string(name);
  if (qualifier) ref.qualifier = std::string(*qualifier);
  if (explicit_qualifier) {
    if (!IsQualifier(*explicit_qualifier)) {
      return ValidationError("1 validation error detected: Value '" + *explicit_qualifier +
                             "' at 'qualifier' failed to satisfy constraint: Member must satisfy "
                             "regular expression pattern: (|[a-zA-Z0-9$_-]+)");
    }
    if (ref.qualifier && *ref.qualifier != *explicit_qualifier) {
      return InvalidParameter(
          "The derived qualifier from the function name does not match the specified "
          "qualifier.");
    }
    ref.qualifier = *explicit_qualifier;
  }
  if (rule == QualifierRule::kForbidden && ref.qualifier) {
    return InvalidParameter(
        "This operation is permitted on Lambda functions only. Aliases and versions do not "
        "support this operation. Please specify either a function name or an unqualified "
        "function ARN.");
  }
  return ref;
}

}  // namespace kindling::control
