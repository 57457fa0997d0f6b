// Command-line wiring of the client commands: options, help texts and validation (CLI11), then
// a call to the matching Run* function.
#include "cli/commands.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/client_commands.h"
#include "cli/http_client.h"
#include "cli/lambda_client.h"
#include "util/strings.h"

namespace kindling::cli {

namespace {

CLI::Validator EndpointValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        auto ep = ParseEndpoint(value);
        return ep.ok() ? std::string() : ep.status().message();
      },
      "URL", "endpoint");
}

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        auto ms = ParseDurationMillis(value);
        if (ms && *ms >= 0) return {};
        return "invalid duration '" + value + "' (expected e.g. 30s, 10m, 2h, 1d)";
      },
      "DURATION", "duration");
}

CLI::Validator EnvValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        auto parsed = ParseEnvAssignments({value});
        return parsed.ok() ? std::string() : parsed.status().message();
      },
      "K=V", "env");
}

void AddEndpoint(CLI::App* sub, std::string* endpoint) {
  *endpoint = std::string(kDefaultEndpoint);
  sub->add_option("--endpoint", *endpoint, "URL of the kindling server")
      ->envname("KINDLING_ENDPOINT")
      ->capture_default_str()
      ->check(EndpointValidator());
}

void AddDeploy(CLI::App& app, int* exit_code, const Io& io) {
  struct Args {
    DeployOptions options;
    std::vector<std::string> env;
  };
  auto args = std::make_shared<Args>();
  DeployOptions& o = args->options;
  CLI::App* sub = app.add_subcommand(
      "deploy", "Zip a folder and create the function, or update its code and configuration");
  sub->add_option("DIR", o.dir, "Folder whose contents become the function's package")
      ->required()
      ->check(CLI::ExistingDirectory);
  sub->add_option("--name,-n", o.name, "Function name")->required();
  sub->add_option("--runtime", o.runtime, "Runtime, e.g. python3.11, nodejs20.x, provided.al2023")
      ->required();
  sub->add_option("--handler", o.handler, "Handler, e.g. app.handler")->required();
  sub->add_option("--memory", o.memory_mb, "Memory size in MB (server default: 128)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--timeout", o.timeout_s, "Timeout in seconds (server default: 3)")
      ->check(CLI::PositiveNumber);
  CLI::Option* env =
      sub->add_option("--env", args->env,
                      "Environment variable K=V; repeat for more. When given, replaces all of "
                      "the function's variables")
          ->allow_extra_args(false)
          ->check(EnvValidator());
  sub->add_option("--role", o.role,
                  "Execution role ARN (default for new functions: " + std::string(kDefaultRole) +
                      ")");
  sub->add_option("--description", o.description, "Function description");
  AddEndpoint(sub, &o.endpoint);
  sub->callback([args, env, exit_code, io] {
    DeployOptions options = args->options;
    if (env->count() > 0) {
      auto parsed = ParseEnvAssignments(args->env);
      if (!parsed.ok()) {
        *exit_code = Fail(io, parsed.status());
        return;
      }
      options.env = std::move(parsed).value();
    }
    *exit_code = RunDeploy(options, io);
  });
}

void AddInvoke(CLI::App& app, int* exit_code, const Io& io) {
  auto o = std::make_shared<InvokeOptions>();
  CLI::App* sub = app.add_subcommand("invoke", "Invoke a function and print its response");
  sub->add_option("FUNCTION", o->function, "Function name, name:qualifier or ARN")->required();
  sub->add_option("PAYLOAD", o->payload,
                  "JSON event; '-' reads it from stdin (default: {})");
  sub->add_option("--qualifier,-q", o->qualifier, "Version or alias to invoke");
  CLI::Option* tail =
      sub->add_flag("--tail", o->tail, "Print the last 4 KB of the invocation's log to stderr");
  CLI::Option* async = sub->add_flag(
      "--async", o->async, "Queue the event (InvocationType Event) instead of waiting");
  tail->excludes(async);
  AddEndpoint(sub, &o->endpoint);
  sub->callback([o, exit_code, io] { *exit_code = RunInvoke(*o, io); });
}

void AddList(CLI::App& app, int* exit_code, const Io& io) {
  auto o = std::make_shared<ListOptions>();
  CLI::App* sub = app.add_subcommand("ls", "List functions");
  sub->add_flag("--json", o->json, "Print the raw Functions array as JSON instead of a table");
  AddEndpoint(sub, &o->endpoint);
  sub->callback([o, exit_code, io] { *exit_code = RunList(*o, io); });
}

void AddLogs(CLI::App& app, int* exit_code, const Io& io) {
  struct Args {
    LogsOptions options;
    std::optional<std::string> since;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("logs", "Print a function's logs");
  sub->add_option("FUNCTION", args->options.function, "Function name")->required();
  sub->add_flag("--follow,-f", args->options.follow,
                "Keep polling for new lines until interrupted (Ctrl-C)");
  sub->add_option("--since", args->since,
                  "Only lines newer than this, e.g. 30s, 10m, 2h, 1d (default: all kept)")
      ->check(DurationValidator());
  AddEndpoint(sub, &args->options.endpoint);
  sub->callback([args, exit_code, io] {
    LogsOptions options = args->options;
    if (args->since) options.since_ms = ParseDurationMillis(*args->since);
    *exit_code = RunLogs(options, io);
  });
}

void AddRemove(CLI::App& app, int* exit_code, const Io& io) {
  auto o = std::make_shared<RemoveOptions>();
  CLI::App* sub = app.add_subcommand("rm", "Delete a function (or one version of it)");
  sub->add_option("FUNCTION", o->function, "Function name or ARN")->required();
  sub->add_option("--qualifier,-q", o->qualifier, "Delete only this version");
  AddEndpoint(sub, &o->endpoint);
  sub->callback([o, exit_code, io] { *exit_code = RunRemove(*o, io); });
}

}  // namespace

void RegisterClientCommandsWithIo(CLI::App& app, int* exit_code, Io io) {
  AddDeploy(app, exit_code, io);
  AddInvoke(app, exit_code, io);
  AddList(app, exit_code, io);
  AddLogs(app, exit_code, io);
  AddRemove(app, exit_code, io);
}

void RegisterClientCommands(CLI::App& app, int* exit_code) {
  RegisterClientCommandsWithIo(app, exit_code, Io{&std::cin, &std::cout, &std::cerr});
}

int Fail(const Io& io, const Status& status) {
  *io.err << ErrorLine(status) << std::endl;
  return 1;
}

}  // namespace kindling::cli
