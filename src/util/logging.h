// Process logging: spdlog with one format for the server. Call InitLogging once from main.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace kindling {

// level: "trace", "debug", "info", "warn", "error".
void InitLogging(const std::string& level);

}  // namespace kindling
