// Identifiers: random UUIDs (request ids, revision ids) and random hex tokens.
// Thread-safe: each thread owns its generator, seeded from getrandom(2).
#pragma once

#include <string>

namespace kindling {

// RFC 4122 version-4 UUID, lower-case: "2f1b0b0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b".
std::string NewUuid();

// `n_bytes` random bytes as 2*n_bytes lower-case hex characters.
std::string RandomHex(int n_bytes);

}  // namespace kindling
