// Installs the embedded runtime bootstraps under `<data-dir>/runtimes/<content hash>/`, once
// per content (a new kindling build gets a new directory), read-only, with Python's bytecode
// precompiled for every Python the catalog found. Called once at start-up.
#pragma once

#include <string>

#include "control/runtime_catalog.h"
#include "util/status.h"

namespace kindling::server {

// Returns the directory (LAMBDA_RUNTIME_DIR) holding python/ and node/.
Result<std::string> InstallRuntimeFiles(const std::string& data_dir,
                                        const control::RuntimeCatalog& catalog);

}  // namespace kindling::server
