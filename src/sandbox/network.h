// The Runtime API socket of an environment. With a network namespace, the launcher creates the
// namespace itself (it is single-threaded, so unshare/setns affect only it), brings its loopback
// up, listens on 127.0.0.1:9001 there, clones the environment into it, and returns to the host
// namespace: the environment can reach nothing but that socket, and the server accepts on it from
// the host side. Without one (reduced isolation), the listener is on the host's 127.0.0.1.
#pragma once

#include <cstdint>

#include "util/status.h"
#include "util/unique_fd.h"

namespace kindling::sandbox {

inline constexpr uint16_t kRuntimeApiPort = 9001;

// Moves the calling thread into a new network namespace with `lo` up.
Status EnterNewNetworkNamespace();
// Back to the namespace `ns_fd` refers to (/proc/self/ns/net opened at start-up).
Status ReturnToNetworkNamespace(int ns_fd);
// A listening TCP socket on 127.0.0.1:`port` (0: any) in the current namespace; *bound gets
// the port.
Result<UniqueFd> ListenOnLoopback(uint16_t port, uint16_t* bound);

}  // namespace kindling::sandbox
