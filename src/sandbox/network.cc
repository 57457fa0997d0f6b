#include "sandbox/network.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kindling::sandbox {

Status EnterNewNetworkNamespace() {
  if (unshare(CLONE_NEWNET) != 0) {
    return Unavailable(std::string("unshare(CLONE_NEWNET): ") + strerror(errno));
  }
  // A new namespace's loopback starts down: connect() would fail with ENETUNREACH (G7).
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) return Unavailable(std::string("socket: ") + strerror(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) {
    return Unavailable(std::string("SIOCGIFFLAGS lo: ") + strerror(errno));
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) {
    return Unavailable(std::string("SIOCSIFFLAGS lo: ") + strerror(errno));
  }
  return Status::Ok();
}

Status ReturnToNetworkNamespace(int ns_fd) {
  if (setns(ns_fd, CLONE_NEWNET) != 0) {
    return Internal(std::string("setns back to the host network namespace: ") + strerror(errno));
  }
  return Status::Ok();
}

Result<UniqueFd> ListenOnLoopback(uint16_t port, uint16_t* bound) {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s) return Unavailable(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(s.get(), 64) != 0) {
    return Unavailable(std::string("Runtime API listener: ") + strerror(errno));
  }
  socklen_t len = sizeof(a);
  getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
  if (bound) *bound = ntohs(a.sin_port);
  return s;
}

}  // namespace kindling::sandbox
