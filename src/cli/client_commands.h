// The client commands behind commands.h (deploy, invoke, ls, logs, rm) with their inputs and
// their streams made explicit, so tests can run them against an in-process fake server.
//
// Each Run* function performs one command and returns its exit status: 0 on success, 1 when the
// API or the connection failed (after writing ErrorLine(...) to `err`) or the function reported
// an error. Argument syntax is checked earlier, by CLI11, in RegisterClientCommandsWithIo.
//
// Thread safety: the Run* functions share no state, except that RunLogs with `follow` installs a
// process-wide SIGINT handler while it runs (so only one follow may run at a time).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace CLI {
class App;
}

namespace kindling::cli {

// The streams a command reads and writes.
struct Io {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
};

inline constexpr std::string_view kDefaultRole = "arn:aws:iam::000000000000:role/kindling";

struct DeployOptions {
  std::string endpoint;
  std::string dir;
  std::string name;
  std::string runtime;
  std::string handler;
  std::optional<int> memory_mb;
  std::optional<int> timeout_s;
  std::optional<std::map<std::string, std::string>> env;  // replaces the whole map when set
  std::optional<std::string> role;
  std::optional<std::string> description;
};

struct InvokeOptions {
  std::string endpoint;
  std::string function;
  std::optional<std::string> payload;  // JSON text, "-" for stdin, nullopt for "{}"
  std::string qualifier;
  bool tail = false;
  bool async = false;
};

struct ListOptions {
  std::string endpoint;
  bool json = false;
};

struct LogsOptions {
  std::string endpoint;
  std::string function;
  bool follow = false;
  std::optional<int64_t> since_ms;  // how far back to start; nullopt: everything kept
  int poll_interval_ms = 500;
};

struct RemoveOptions {
  std::string endpoint;
  std::string function;
  std::string qualifier;
};

int RunDeploy(const DeployOptions& options, const Io& io);
int RunInvoke(const InvokeOptions& options, const Io& io);
int RunList(const ListOptions& options, const Io& io);
int RunLogs(const LogsOptions& options, const Io& io);
int RunRemove(const RemoveOptions& options, const Io& io);

// RegisterClientCommands with explicit streams.
void RegisterClientCommandsWithIo(CLI::App& app, int* exit_code, Io io);

// ---- Pieces of the commands, exposed for tests ----

// The invocation payload: `arg` itself, stdin for "-", "{}" when absent.
Result<std::string> ResolvePayload(const std::optional<std::string>& arg, std::istream& in);

// "K=V" strings to a map (later assignments of a key win). Keys must be non-empty.
Result<std::map<std::string, std::string>> ParseEnvAssignments(
    const std::vector<std::string>& assignments);

// The `ls` table for a Functions array: a header and one column-aligned row per function.
std::string FormatFunctionTable(const boost::json::array& functions);

// "<ISO8601 timestamp> <message>" for one event of the kindling logs endpoint.
std::string FormatLogEvent(const boost::json::object& event);

// Writes ErrorLine(status) and a newline to io.err; returns 1.
int Fail(const Io& io, const Status& status);

}  // namespace kindling::cli
