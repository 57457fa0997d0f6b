// The `kindling` command: `serve` runs the platform; deploy/invoke/ls/logs/rm are clients of it.
// main() only parses flags and hands over.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "sandbox/isolation.h"
#include "server/server.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  CLI::App app{"kindling: run AWS Lambda functions on your own machine"};
  app.require_subcommand(1);
  int exit_code = 0;

  kindling::server::ServerOptions opts;
  std::string idle = "10m";
  auto* serve = app.add_subcommand("serve", "Run the kindling server");
  serve->add_option("--listen", opts.listen, "Address of the API, HOST:PORT")
      ->capture_default_str();
  serve->add_option("--data-dir", opts.data_dir, "Where state, code and logs live")
      ->capture_default_str();
  serve->add_option("--threads", opts.threads, "Event loops (default: one per CPU)");
  serve->add_option("--region", opts.account.region, "Region kindling presents")
      ->capture_default_str();
  serve->add_option("--account-id", opts.account.account_id, "12-digit account id in ARNs")
      ->capture_default_str()
      ->check([](const std::string& s) {
        return s.size() == 12 && s.find_first_not_of("0123456789") == std::string::npos
                   ? std::string()
                   : std::string("must be 12 digits");
      });
  serve->add_option("--idle-timeout", idle, "Reap execution environments idle this long")
      ->capture_default_str();
  serve->add_option("--max-concurrency", opts.max_concurrency,
                    "Account limit on concurrent executions (beyond it: 429)")
      ->capture_default_str();
  serve->add_option("--log-cap", opts.log_cap_bytes, "Bytes of log output kept per invocation")
      ->capture_default_str();
  serve->add_option("--log-level", opts.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();
  std::string reduced;
  serve->add_option("--reduced-isolation", reduced,
                    "Isolation layers to run WITHOUT, comma-separated (pid-ns, mount-ns, net-ns, "
                    "ipc-ns, uts-ns, cgroup-ns, uid, seccomp, cgroups). kindling refuses to start "
                    "on a host that lacks a layer unless it is named here.");
  serve->callback([&] {
    auto ms = kindling::ParseDurationMillis(idle);
    if (!ms || *ms <= 0) throw CLI::ValidationError("--idle-timeout", "use e.g. 90s, 10m, 1h");
    opts.idle_timeout_ms = *ms;
    auto layers = kindling::sandbox::ParseLayers(reduced);
    if (!layers.ok()) throw CLI::ValidationError("--reduced-isolation", layers.status().message());
    opts.reduced_isolation = *layers;
    exit_code = kindling::server::RunServer(opts);
  });

  kindling::cli::RegisterClientCommands(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
