// Small string helpers missing from the standard library. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kindling {

std::vector<std::string_view> Split(std::string_view s, char sep);
std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Parses a base-10 integer that must fill the whole string.
std::optional<int64_t> ParseInt(std::string_view s);
// Percent-decodes a URL path segment or query component; '+' is kept as '+'.
std::optional<std::string> PercentDecode(std::string_view s);
// Percent-encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view s);
// Parses durations like "90s", "15m", "2h", "1d", "500ms" into milliseconds.
std::optional<int64_t> ParseDurationMillis(std::string_view s);

}  // namespace kindling
