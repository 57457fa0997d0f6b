// `kindling ls`: ListFunctions through every page, printed as a table or as JSON.
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <ostream>
#include <optional>
#include <set>
#include <vector>

#include "cli/client_commands.h"
#include "cli/http_client.h"
#include "cli/json_fields.h"
#include "cli/lambda_client.h"
#include "util/strings.h"

namespace kindling::cli {

namespace json = boost::json;
using Verb = http::bhttp::verb;

namespace {

constexpr size_t kColumns = 6;
using Row = std::array<std::string, kColumns>;

Row FunctionRow(const json::value& fn) {
  static const json::object kEmpty;
  const json::object& o = fn.is_object() ? fn.get_object() : kEmpty;
  auto with_unit = [&](std::string_view key, std::string_view unit) {
    std::string v = FieldText(o, key);
    return v == "-" ? v : v + " " + std::string(unit);
  };
  return {FieldText(o, "FunctionName"), FieldText(o, "Runtime"), FieldText(o, "Handler"),
          with_unit("MemorySize", "MB"), with_unit("Timeout", "s"), FieldText(o, "LastModified")};
}

}  // namespace

std::string FormatFunctionTable(const json::array& functions) {
  std::vector<Row> rows;
  rows.push_back({"NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "LAST MODIFIED"});
  for (const json::value& fn : functions) rows.push_back(FunctionRow(fn));
  std::array<size_t, kColumns> width{};
  for (const Row& r : rows) {
    for (size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const Row& r : rows) {
    std::string line;
    for (size_t i = 0; i < kColumns; ++i) {
      line += r[i];
      if (i + 1 < kColumns) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

int RunList(const ListOptions& o, const Io& io) {
  auto endpoint = ParseEndpoint(o.endpoint);
  if (!endpoint.ok()) return Fail(io, endpoint.status());
  HttpClient http(*endpoint);
  LambdaClient client(&http);

  json::array all;
  std::optional<std::string> marker;
  std::set<std::string> seen_markers;  // a server repeating a marker must not loop us forever
  while (true) {
    std::string target = "/2015-03-31/functions";
    if (marker) target += "?Marker=" + PercentEncode(*marker);
    auto page = client.CallJson(Verb::get, target);
    if (!page.ok()) return Fail(io, page.status());
    const json::object* obj = page->if_object();
    const json::value* functions = obj ? obj->if_contains("Functions") : nullptr;
    if (functions == nullptr || !functions->is_array()) {
      return Fail(io, Internal("unexpected response from kindling at " + endpoint->url +
                               " (no Functions array)"));
    }
    for (const json::value& fn : functions->get_array()) all.push_back(fn);
    const json::value* next = obj->if_contains("NextMarker");
    if (next == nullptr || !next->is_string() || next->get_string().empty()) break;
    marker = std::string(next->get_string());
    if (!seen_markers.insert(*marker).second) {
      return Fail(io, Internal("kindling at " + endpoint->url + " repeated the page marker " +
                               *marker));
    }
  }
  if (o.json) {
    *io.out << json::serialize(all) << std::endl;
  } else {
    *io.out << FormatFunctionTable(all) << std::flush;
  }
  return 0;
}

}  // namespace kindling::cli
