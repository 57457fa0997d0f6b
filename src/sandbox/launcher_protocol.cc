#include "sandbox/launcher_protocol.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace kindling::sandbox {

Status SendLauncherMessage(int sock, std::string_view json, const std::vector<int>& fds) {
  if (json.size() > kMaxLauncherMessage) return InvalidParameter("launcher message too large");
  iovec iov{const_cast<char*>(json.data()), json.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxLauncherFds)];
  if (!fds.empty()) {
    if (fds.size() > static_cast<size_t>(kMaxLauncherFds)) return Internal("too many fds");
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  while (true) {
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return Status::Ok();
    if (errno == EINTR) continue;
    return Unavailable(std::string("launcher socket: ") + strerror(errno));
  }
}

Result<LauncherMessage> ReceiveLauncherMessage(int sock) {
  LauncherMessage out;
  out.json.resize(kMaxLauncherMessage);
  iovec iov{out.json.data(), out.json.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxLauncherFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Unavailable(std::string("launcher socket: ") + strerror(errno));
  if (n == 0) return Unavailable("launcher socket closed");
  out.json.resize(static_cast<size_t>(n));
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      out.fds.emplace_back(fd);
    }
  }
  if (msg.msg_flags & MSG_TRUNC) return Unavailable("oversized launcher message");
  out.fds_truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  return out;
}

}  // namespace kindling::sandbox
