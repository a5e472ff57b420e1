// splitbrain-standin: a stand-in process for the lab's own tests (never used by a real run).
//   standin serve PORT          TCP + UDP on PORT; logs "tcp from IP" / "udp from IP" lines
//   standin probe tcp|udp IP PORT [COUNT]   connect (1 s) and exchange a line / send COUNT
//                                   datagrams (1 by default, 1 ms apart); exit 0 when the TCP
//                                   peer answered (UDP: when all were sent)
//   standin tick FILE           writes an increasing counter to FILE every 5 ms
//   standin spin FILE           busy loop; writes how many steps it made to FILE every 2^18 steps
//                               (by rename: a reader sees the old count or the new one)
//   standin family FILE         forks a child; both write their pids to FILE; then sleep
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace {

int Serve(int port) {
  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = INADDR_ANY;
  if (bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(tcp, 16) != 0) {
    perror("bind");
    return 1;
  }
  printf("listening %d\n", port);
  fflush(stdout);
  pollfd fds[2] = {{tcp, POLLIN, 0}, {udp, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[0].revents & POLLIN) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int c = accept(tcp, reinterpret_cast<sockaddr*>(&peer), &len);
      if (c < 0) continue;
      char buf[64];
      timeval tv{1, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ssize_t n = read(c, buf, sizeof buf);
      if (n > 0) {
        std::string reply = std::string("hello ") + inet_ntoa(peer.sin_addr) + "\n";
        (void)!write(c, reply.data(), reply.size());
      }
      printf("tcp from %s\n", inet_ntoa(peer.sin_addr));
      fflush(stdout);
      close(c);
    }
    if (fds[1].revents & POLLIN) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      char buf[64];
      if (recvfrom(udp, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &len) >= 0) {
        printf("udp from %s\n", inet_ntoa(peer.sin_addr));
        fflush(stdout);
      }
    }
  }
}

int Probe(const std::string& proto, const std::string& ip, int port, int count) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (proto == "udp") {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    for (int i = 0; i < count; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) != 1) return 1;
    }
    return 0;
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  pollfd p{s, POLLOUT, 0};
  if (poll(&p, 1, 1000) != 1) return 1;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return 1;
  if (write(s, "x\n", 2) != 2) return 1;
  p = {s, POLLIN, 0};
  if (poll(&p, 1, 1000) != 1) return 1;
  char buf[64];
  ssize_t n = read(s, buf, sizeof buf);
  if (n <= 0) return 1;
  fwrite(buf, 1, n, stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve" && argc == 3) return Serve(atoi(argv[2]));
  if (mode == "probe" && (argc == 5 || argc == 6)) {
    return Probe(argv[2], argv[3], atoi(argv[4]), argc == 6 ? atoi(argv[5]) : 1);
  }
  if (mode == "tick" && argc == 3) {
    for (long i = 0;; ++i) {
      std::ofstream(argv[2], std::ios::trunc) << i << "\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (mode == "spin" && argc == 3) {
    volatile uint64_t x = 0;
    for (uint64_t i = 1;; ++i) {
      x = x * 6364136223846793005ULL + i;
      if ((i & ((1u << 18) - 1)) == 0) {
        // Whole or not at all: a reader never sees the file truncated.
        const std::string tmp = std::string(argv[2]) + ".tmp";
        std::ofstream(tmp, std::ios::trunc) << i << "\n";
        std::rename(tmp.c_str(), argv[2]);
      }
    }
  }
  if (mode == "family" && argc == 3) {
    pid_t child = fork();
    if (child == 0) {
      while (true) pause();
    }
    std::ofstream(argv[2]) << getpid() << " " << child << "\n";
    while (true) pause();
  }
  fprintf(
      stderr,
      "usage: standin serve PORT | probe tcp|udp IP PORT | tick FILE | spin FILE | family FILE\n");
  return 2;
}
