// The `kindling` client commands: deploy, invoke, ls, logs and rm. They talk to a kindling
// server (`kindling serve`) over the same Lambda REST API the AWS CLI uses, at --endpoint
// (default: $KINDLING_ENDPOINT, else http://127.0.0.1:9000).
//
// Thread safety: call RegisterClientCommands once, on the thread that parses the command line.
#pragma once

namespace CLI {
class App;
}

namespace kindling::cli {

// Adds the client subcommands deploy, invoke, ls, logs and rm to `app` (a CLI11 app that main()
// owns, which also has `serve`). When one of them runs, its exit status is stored in *exit_code.
void RegisterClientCommands(CLI::App& app, int* exit_code);

}  // namespace kindling::cli
