// The wire between the server and its launcher process: one SOCK_SEQPACKET message per request
// or reply, a JSON document plus file descriptors passed with SCM_RIGHTS.
//
//   server -> launcher  {"id":N,"op":"spawn","spec":{SpawnSpec}}   fds: [log pipe w, status pipe w]
//   launcher -> server  {"id":N,"ok":true,"pid":P}                 fds: [pidfd of the environment]
//                       {"id":N,"ok":false,"error":"..."}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/unique_fd.h"

namespace kindling::sandbox {

inline constexpr size_t kMaxLauncherMessage = 256 * 1024;
inline constexpr int kMaxLauncherFds = 4;

struct LauncherMessage {
  std::string json;
  std::vector<UniqueFd> fds;
  // Some passed descriptors could not be received (the receiver is out of descriptors): the
  // message is intact, the request must be refused.
  bool fds_truncated = false;
};

// Sends one message. Thread-compatible: callers serialise sends on one socket.
Status SendLauncherMessage(int sock, std::string_view json, const std::vector<int>& fds);
// Blocks for one message. Returns kUnavailable at end of stream or on a socket error.
Result<LauncherMessage> ReceiveLauncherMessage(int sock);

}  // namespace kindling::sandbox
