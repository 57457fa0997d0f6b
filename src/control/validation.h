// Field validation with Lambda's messages. A Validator collects every constraint violation of a
// request and reports them together as AWS does ("2 validation errors detected: ...; ...").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "control/inputs.h"
#include "util/status.h"

namespace kindling::control {

class Validator {
 public:
  void Range(std::string_view field, int64_t value, int64_t min, int64_t max);
  void Length(std::string_view field, std::string_view value, size_t min, size_t max);
  // `pattern` is shown in the message; `ok` is the caller's check.
  void Pattern(std::string_view field, std::string_view value, bool ok, std::string_view pattern);
  void Enum(std::string_view field, std::string_view value, const std::vector<std::string>& set);
  void Fail(std::string message);

  // OK, or ValidationException listing every violation.
  Status Finish() const;

 private:
  std::vector<std::string> errors_;
};

inline constexpr int64_t kMaxTimeoutSeconds = 900;
inline constexpr int64_t kMinMemoryMb = 128;
inline constexpr int64_t kMaxMemoryMb = 10240;
inline constexpr int64_t kMinEphemeralMb = 512;
inline constexpr int64_t kMaxEphemeralMb = 10240;
inline constexpr size_t kMaxEnvironmentBytes = 4096;

// Checks the shape of every given field of `c` (ranges, lengths, patterns, enums).
void ValidateConfigFields(const ConfigInput& c, Validator* v);
// The 4 KB limit on environment variables, with Lambda's InvalidParameterValue message.
Status CheckEnvironmentSize(const std::map<std::string, std::string>& env);
// Environment variable names: [a-zA-Z]([a-zA-Z0-9_])+ and not reserved by Lambda.
Status CheckEnvironmentKeys(const std::map<std::string, std::string>& env);
bool IsValidRole(std::string_view role);
// Tag keys/values as Lambda limits them (≤50 tags, key 1-128, value ≤256, no "aws:" prefix).
Status CheckTags(const std::map<std::string, std::string>& tags);

}  // namespace kindling::control
