// Names, ARNs and qualifiers of functions: formatting and the parsing rules of every
// operation that takes a FunctionName (spec §3).
//
// Pure functions over values; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace kindling::control {

// The region and account kindling presents itself as.
struct Account {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
};

inline constexpr std::string_view kLatest = "$LATEST";

// arn:aws:lambda:<region>:<account>:function:<name>
std::string FunctionArn(const Account& account, std::string_view name);
// ...:function:<name>:<qualifier>
std::string QualifiedArn(const Account& account, std::string_view name, std::string_view qualifier);

// A function named by a caller: a bare name plus an optional qualifier ($LATEST, a version
// number or an alias name).
struct FunctionRef {
  std::string name;
  std::optional<std::string> qualifier;
};

enum class QualifierRule {
  kAllowed,    // invoke, get, delete...: `name:qual` and ?Qualifier= both accepted
  kForbidden,  // operations on the unqualified function only (tags, publish, aliases...)
};

// Parses the FunctionName forms `name`, `name:qual`, `account:function:name[:qual]` and
// `arn:aws:lambda:region:account:function:name[:qual]`, merged with an explicit `?Qualifier=`.
// Errors follow Lambda: ValidationException for a malformed value, 404 for another region,
// AccessDenied for another account, InvalidParameterValue when the two qualifiers differ.
Result<FunctionRef> ParseFunctionName(std::string_view input,
                                      const std::optional<std::string>& explicit_qualifier,
                                      const Account& account, QualifierRule rule);

// True if `s` is a valid function name (1-64 of [a-zA-Z0-9-_]).
bool IsValidFunctionName(std::string_view s);
// True for an alias name: 1-128 of [a-zA-Z0-9-_], not all digits.
bool IsValidAliasName(std::string_view s);
// True for "1", "2", ... (a published version number, no leading zeros).
bool IsVersionNumber(std::string_view s);

}  // namespace kindling::control
