#include "nemesis/diskfs/control_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace splitbrain::nemesis::diskfs {

Result<std::string> SendControl(const std::string& name, const std::string& line, int timeout_s) {
  sockaddr_un addr{};
  if (name.empty() || name.size() > sizeof(addr.sun_path) - 2) {
    return Status::InvalidArgument("a control socket name of 1 to " +
                                   std::to_string(sizeof(addr.sun_path) - 2) + " bytes: '" + name +
                                   "'");
  }
  if (line.find('\n') != std::string::npos) {
    return Status::InvalidArgument("a control command is one line");
  }
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Status::IoError(std::string("socket: ") + strerror(errno));
  timeval tv{timeout_s, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // abstract: sun_path[0] = 0
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    const int e = errno;
    close(s);
    return Status::IoError("@" + name + ": " + strerror(e));
  }
  const std::string msg = line + "\n";
  std::string reply;
  bool sent = true;
  for (size_t off = 0; off < msg.size();) {
    ssize_t n = write(s, msg.data() + off, msg.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      sent = false;
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (sent) {
    char buf[4096];
    for (;;) {
      ssize_t n = read(s, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
  }
  close(s);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.empty()) return Status::IoError("@" + name + " gave no answer to '" + line + "'");
  return reply;
}

}  // namespace splitbrain::nemesis::diskfs
