#include "clients/exec_client.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/spawn.h"

namespace splitbrain::clients {
using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// A reply line longer than this is not the protocol (and must not grow our memory without end).
constexpr size_t kMaxLine = 16u << 20;

records::Reply Unknown(std::string why) {
  records::Reply r;
  r.outcome = records::Outcome::kUnknown;
  r.error = std::move(why);
  return r;
}

std::string Cut(const std::string& s, size_t n = 200) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

}  // namespace

ExecAnswer ParseExecReply(const std::string& line, int64_t id,
                          const std::vector<workloads::NodeAddress>& members) {
  auto broken = [](std::string why) {
    ExecAnswer a;
    a.reply = Unknown(std::move(why));
    a.broken = true;
    return a;
  };
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return broken("the client answered a line that is not a JSON object: '" + Cut(line) + "'");
  }
  const json rid = j.value("id", json());
  if (!rid.is_number_integer()) {
    return broken("the client's answer has no integer \"id\": '" + Cut(line) + "'");
  }
  if (rid.get<int64_t>() != id) {
    ExecAnswer a;
    a.stale = true;
    return a;
  }
  const json type = j.value("type", json());
  records::Reply r;
  if (type == "ok") {
    r.outcome = records::Outcome::kOk;
    r.value = j.value("value", json());
  } else if (type == "fail") {
    const std::string refusal = j.value("refusal", json("member")).is_string()
                                    ? j.value("refusal", std::string("member"))
                                    : "";
    if (refusal == "state") {
      r = records::Reply::Refused(records::Refusal::kState, "");
    } else if (refusal == "invalid") {
      r = records::Reply::Refused(records::Refusal::kInvalid, "");
    } else if (refusal == "member") {
      r = records::Reply::Refused(records::Refusal::kMember, "");
    } else {
      return broken("the client's fail has \"refusal\" " + j["refusal"].dump() +
                    "; expected \"member\", \"state\" or \"invalid\"");
    }
  } else if (type == "unknown" || type == "info") {
    r.outcome = records::Outcome::kUnknown;
  } else {
    return broken("the client's answer has \"type\" " + type.dump() +
                  "; expected \"ok\", \"fail\" or \"unknown\": '" + Cut(line) + "'");
  }
  if (r.outcome != records::Outcome::kOk) {
    const json err = j.value("error", json());
    r.error = err.is_string() ? err.get<std::string>() : (err.is_null() ? "" : err.dump());
    if (r.error.empty()) r.error = "the client said " + type.get<std::string>();
  }
  const json node = j.value("node", json());
  if (node.is_string()) {
    for (const auto& m : members) {
      if (m.id == node.get<std::string>()) r.node = m.id;
    }
  }
  ExecAnswer a;
  a.reply = std::move(r);
  return a;
}

ExecClient::ExecClient(ExecClientOptions options)
    : opts_(std::move(options)),
      picker_(opts_.placement, std::max<size_t>(opts_.members.size(), 1), opts_.slot, opts_.seed),
      current_(picker_.home()) {
  Start();
}

ExecClient::~ExecClient() { Stop(); }

void ExecClient::Start() {
  buffer_.clear();
  broken_.clear();
  answered_ = false;
  started_ = Clock::now();
  if (opts_.argv.empty()) {
    broken_ = "no client command line";
    return;
  }
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    broken_ = std::string("socketpair: ") + strerror(errno);
    return;
  }
  // Its stdin and stdout are one socket; stderr its log. Its own process group, so whatever it
  // starts goes with it (common/spawn.h: no descriptor, mask or ignored signal of ours).
  const int log = open(opts_.log_path.empty() ? "/dev/null" : opts_.log_path.c_str(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    close(fds[0]);
    close(fds[1]);
    broken_ = "cannot open the client's log " + opts_.log_path + ": " + strerror(errno);
    return;
  }
  SpawnOptions options;
  options.stdin_fd = fds[1];
  options.stdout_fd = fds[1];
  options.stderr_fd = log;
  Result<pid_t> spawned = Spawn(opts_.argv, options);
  close(log);
  close(fds[1]);
  if (!spawned.ok()) {
    close(fds[0]);
    pid_ = -1;
    broken_ = "cannot start the client '" + opts_.argv[0] + "': " + spawned.status().message();
    return;
  }
  pid_ = *spawned;
  fd_ = fds[0];
}

void ExecClient::Stop() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

std::string ExecClient::WhyGone() {
  std::string why;
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < 20 && got == 0; ++i) {
    got = waitpid(pid_, &status, WNOHANG);
    if (got == 0) std::this_thread::sleep_for(milliseconds(10));
  }
  if (got == pid_) {
    pid_ = -1;
    why = WIFEXITED(status) ? "it exited with code " + std::to_string(WEXITSTATUS(status))
                            : "it was killed by signal " + std::to_string(WTERMSIG(status));
  } else {
    why = "it closed its stdout";
  }
  if (!opts_.log_path.empty()) {
    std::ifstream in(opts_.log_path);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    if (!last.empty()) why += "; its stderr (" + opts_.log_path + ") ends: " + Cut(last, 300);
  }
  return why;
}

records::Reply ExecClient::Send(const json& command, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (fd_ < 0 || !broken_.empty()) {
    // Nothing was sent: a fresh program, and a refusal if even that cannot start.
    Stop();
    Start();
    if (!broken_.empty()) return records::Reply::Refused(records::Refusal::kMember, broken_);
  }
  const int64_t id = next_id_++;
  const size_t start = opts_.members.empty() ? 0 : picker_.Start(current_);
  json line = command;
  line["id"] = id;
  line["deadline_ms"] = timeout.count();
  if (!opts_.members.empty()) {
    line["node"] = opts_.members[start].id;
    line["address"] = opts_.members[start].client;
  }
  const std::string text = line.dump() + "\n";
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken_ = "the client is gone: " + WhyGone();
      // A command cut short is not one the program can have acted on only if nothing went out.
      if (sent == 0) return records::Reply::Refused(records::Refusal::kMember, broken_);
      return Unknown(broken_);
    }
    sent += static_cast<size_t>(n);
  }
  auto hung_at = deadline + opts_.grace + (answered_ ? milliseconds(0) : opts_.startup);
  bool waited_for_start = false;  // past hung_at with our command still unread
  for (;;) {
    for (size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
      const std::string reply_line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (reply_line.empty()) continue;
      ExecAnswer a = ParseExecReply(reply_line, id, opts_.members);
      if (a.stale) continue;  // a late answer to an earlier command
      answered_ = true;
      records::Reply r = std::move(a.reply);
      if (a.broken) {
        broken_ = r.error;  // the protocol is broken: the next Send starts a new program
        Stop();
      }
      if (!r.node.empty()) {
        for (size_t i = 0; i < opts_.members.size(); ++i) {
          if (opts_.members[i].id == r.node) current_ = i;
        }
      }
      return r;
    }
    if (buffer_.size() > kMaxLine) {
      broken_ = "the client's answer is longer than " + std::to_string(kMaxLine) + " bytes";
      Stop();
      return Unknown(broken_);
    }
    auto left = std::chrono::duration_cast<milliseconds>(hung_at - Clock::now());
    if (left.count() <= 0 && !answered_ && Clock::now() < started_ + opts_.startup_limit) {
      // Bytes of ours the program has not read yet: it has not reached its loop (still
      // starting), so it is waited for, not replaced by one that must start from nothing.
      int unread = 0;
      if (ioctl(fd_, SIOCOUTQ, &unread) == 0 && unread > 0) {
        left = milliseconds(50);
        waited_for_start = true;
      } else if (waited_for_start) {
        // It has just taken the command it was waited for: the command's own time and the
        // grace run from now (judged at once, a program that read its first command after the
        // deadline had no time at all to answer it, and was killed as hung at load 5).
        waited_for_start = false;
        hung_at = Clock::now() + timeout + opts_.grace;
        left = std::chrono::duration_cast<milliseconds>(hung_at - Clock::now());
      }
    }
    if (left.count() <= 0) {
      broken_ =
          "the client did not answer within the deadline (" + std::to_string(timeout.count()) +
          " ms) and " +
          std::to_string(std::chrono::duration_cast<milliseconds>(hung_at - deadline).count()) +
          " ms more";
      Stop();
      return Unknown(broken_);
    }
    pollfd p{fd_, POLLIN, 0};
    const int pr = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 1000)));
    if (pr < 0 && errno != EINTR) {
      broken_ = std::string("poll: ") + strerror(errno);
      Stop();
      return Unknown(broken_);
    }
    if (pr <= 0) continue;
    char chunk[65536];
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      broken_ = "the client exited before it answered: " + WhyGone();
      Stop();
      return Unknown(broken_);
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

bool ExecClient::Renew() {
  if (fd_ < 0 || pid_ <= 0 || !broken_.empty()) return false;
  current_ = picker_.home();  // as a new client would
  return true;
}

std::unique_ptr<workloads::Client> NewExecClient(ExecClientOptions options) {
  return std::make_unique<ExecClient>(std::move(options));
}

}  // namespace splitbrain::clients
