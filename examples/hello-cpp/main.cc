// hello-cpp: a native provided.al2023 function built on kindling/runtime.h.
//
// Event {"name":"Ada"} -> {"message":"Hello, Ada!"} (name defaults to "world"). An event with a
// string "error" field throws std::runtime_error with that message, to show the error path.
#include <kindling/runtime.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

namespace rt = kindling::runtime;

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// Decodes the JSON string literal starting at s[i] == '"'; *end is set past its closing quote.
// \uXXXX escapes are kept verbatim (this is a demo, not a JSON parser).
std::optional<std::string> ParseString(std::string_view s, size_t i, size_t* end) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  std::string out;
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      *end = i + 1;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == s.size()) break;
    switch (s[i]) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u':
        out.append("\\u");
        break;
      default:
        out.push_back(s[i]);  // \" \\ \/
    }
  }
  return std::nullopt;
}

// The string value of a top-level-looking "key": "value" pair. Minimal: it scans for the key
// anywhere in the object, which is enough for flat events.
std::optional<std::string> StringField(std::string_view json, std::string_view key) {
  size_t i = 0;
  while ((i = json.find('"', i)) != std::string_view::npos) {
    size_t end = 0;
    std::optional<std::string> token = ParseString(json, i, &end);
    if (!token) return std::nullopt;
    size_t colon = SkipSpace(json, end);
    bool is_key = colon < json.size() && json[colon] == ':';
    if (is_key && *token == key) return ParseString(json, SkipSpace(json, colon + 1), &end);
    i = is_key ? colon + 1 : end;
  }
  return std::nullopt;
}

rt::Response Hello(const rt::Invocation& inv) {
  if (std::optional<std::string> error = StringField(inv.payload, "error")) {
    throw std::runtime_error(*error);
  }
  std::string name = StringField(inv.payload, "name").value_or("world");
  std::string body = R"({"message":"Hello, )";
  rt::AppendJsonEscaped(name, &body);
  body.append(R"(!"})");
  return rt::Response::Json(std::move(body));
}

}  // namespace

int main() { return rt::Run(Hello); }
