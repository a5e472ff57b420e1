// splitbrain-delay: holds every packet an NFQUEUE gives it for mean ± jitter (seeded), then lets
// it go (NF_ACCEPT), earliest due first. Never drops a packet. The harness starts one per
// delayed node namespace and points iptables-nft rules (`-j NFQUEUE --queue-bypass`) at it;
// the harness removes the rules, so with bypass the traffic flows even if this program dies.
// SIGTERM (or SIGINT): every held packet is released at once, the queue unbound, exit 0.
//   splitbrain-delay --queue N --mean-ns NS [--jitter-ns NS] [--seed N]
// Prints "ready queue N" on stdout once it holds the queue. One thread.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "nemesis/delayer/delay_queue.h"

namespace {

using splitbrain::nemesis::DelayQueue;

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "splitbrain-delay: %s\nusage: splitbrain-delay --queue N --mean-ns NS "
               "[--jitter-ns NS] [--seed N]\n",
               why.c_str());
  std::exit(255);
}

bool ParseInt(const char* s, int64_t lo, int64_t hi, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

struct State {
  DelayQueue* queue;
  uint64_t held = 0;
};

int OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void* data) {
  auto* st = static_cast<State*>(data);
  const nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) return 0;
  st->queue->Hold(ntohl(ph->packet_id), NowNs());
  ++st->held;
  return 0;
}

void Release(nfq_q_handle* qh, const std::vector<uint32_t>& ids) {
  for (uint32_t id : ids) {
    if (nfq_set_verdict(qh, id, NF_ACCEPT, 0, nullptr) < 0) {
      std::fprintf(stderr, "splitbrain-delay: verdict for packet %u: %s\n", id, strerror(errno));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t queue_num = -1, mean_ns = -1, jitter_ns = 0, seed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) Usage("missing value after " + std::string(a));
    const char* v = argv[++i];
    bool ok = false;
    if (a == "--queue") {
      ok = ParseInt(v, 0, 65535, &queue_num);
    } else if (a == "--mean-ns") {
      ok = ParseInt(v, 0, 3'600'000'000'000, &mean_ns);
    } else if (a == "--jitter-ns") {
      ok = ParseInt(v, 0, 3'600'000'000'000, &jitter_ns);
    } else if (a == "--seed") {
      ok = ParseInt(v, INT64_MIN, INT64_MAX, &seed);
    } else {
      Usage("unknown flag " + std::string(a));
    }
    if (!ok) Usage("bad value for " + std::string(a) + ": '" + v + "'");
  }
  if (queue_num < 0) Usage("--queue is required");
  if (mean_ns < 0) Usage("--mean-ns is required");

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  const int sig_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) {
    std::perror("splitbrain-delay: signalfd");
    return 1;
  }

  DelayQueue queue(mean_ns, jitter_ns, static_cast<uint64_t>(seed));
  State state{&queue};
  nfq_handle* h = nfq_open();
  if (h == nullptr) {
    std::perror("splitbrain-delay: nfq_open (needs CAP_NET_ADMIN in the namespace)");
    return 1;
  }
  nfq_q_handle* qh = nfq_create_queue(h, static_cast<uint16_t>(queue_num), &OnPacket, &state);
  if (qh == nullptr) {
    std::fprintf(stderr, "splitbrain-delay: binding queue %lld: %s\n",
                 static_cast<long long>(queue_num), strerror(errno));
    nfq_close(h);
    return 1;
  }
  // Only the packet id is needed, never its bytes.
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
    std::perror("splitbrain-delay: nfq_set_mode");
    return 1;
  }
  // A long delay holds many packets: room for them in the kernel's queue; should it still
  // overflow, the kernel lets packets through undelayed (fail-open) instead of dropping them.
  nfq_set_queue_maxlen(qh, 1 << 16);
  nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 << 20);
  const int fd = nfq_fd(h);
  const int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

  std::printf("ready queue %lld mean_ns %lld jitter_ns %lld seed %lld\n",
              static_cast<long long>(queue_num), static_cast<long long>(mean_ns),
              static_cast<long long>(jitter_ns), static_cast<long long>(seed));
  std::fflush(stdout);

  alignas(8) static char buf[1 << 16];
  bool stopping = false;
  while (!stopping) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {sig_fd, POLLIN, 0}};
    const int64_t next = queue.NextDue();
    timespec wait{};
    timespec* timeout = nullptr;
    if (next >= 0) {
      const int64_t left = std::max<int64_t>(0, next - NowNs());
      wait = {static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
      timeout = &wait;
    }
    const int r = ppoll(fds, 2, timeout, nullptr);
    if (r < 0 && errno != EINTR) {
      std::perror("splitbrain-delay: ppoll");
      break;
    }
    if (fds[1].revents & POLLIN) stopping = true;
    if (fds[0].revents & POLLIN) {
      // Read everything waiting, without blocking.
      while (true) {
        const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENOBUFS) {
            std::perror("splitbrain-delay: recv");
            stopping = true;
          }
          break;
        }
        nfq_handle_packet(h, buf, static_cast<int>(n));
      }
    }
    Release(qh, queue.Due(NowNs()));
  }
  // Everything held goes now, so no packet waits on a program that is gone.
  Release(qh, queue.Drain());
  nfq_destroy_queue(qh);
  nfq_close(h);
  std::printf("stopped: %llu packets delayed\n", static_cast<unsigned long long>(state.held));
  return 0;
}
