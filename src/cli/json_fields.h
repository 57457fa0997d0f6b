// Reading display text out of Lambda JSON responses for the client commands.
// Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace kindling::cli {

// The member `key` of `o` as text: strings as they are, integers in decimal, booleans as
// true/false; `fallback` when the member is missing, null or of another type.
inline std::string FieldText(const boost::json::object& o, std::string_view key,
                             std::string_view fallback = "-") {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) return std::string(fallback);
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_double()) return std::to_string(static_cast<long long>(v->get_double()));
  if (v->is_bool()) return v->get_bool() ? "true" : "false";
  return std::string(fallback);
}

}  // namespace kindling::cli
