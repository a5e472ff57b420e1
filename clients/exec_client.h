// ExecClient: a workloads::Client that is a program in any language (`system: exec`,
// docs/exec-protocol.md). It starts the program once, writes one JSON command per line on its
// stdin and reads one JSON reply per line on its stdout; a program that dies, hangs past the
// deadline or answers what is not the protocol makes that operation unknown and is replaced; one
// that answered `unknown` itself serves the next logical process (Renew). Owns its process
// (killed, with its process group, when the client goes). Not thread-safe: one per worker thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "records/reply.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::clients {

struct ExecClientOptions {
  std::vector<std::string> argv;  // the program and its arguments (placeholders filled)
  std::string log_path;           // where its stderr is appended; empty: /dev/null
  // Where each operation begins: the member named in each command's `node` and `address`.
  std::vector<workloads::NodeAddress> members;
  size_t slot = 0;
  workloads::Placement placement = workloads::Placement::kHome;
  uint64_t seed = 0;
  // How long past a command's deadline the program may take to answer before it counts as hung.
  std::chrono::milliseconds grace{500};
  // How much longer the first command after a start may take: the program's own start (an
  // interpreter, a shim such as pyenv's) is not the operation's latency.
  std::chrono::milliseconds startup{5000};
  // A program that has not yet read its first command is still starting (an interpreter on a
  // loaded machine can take seconds): it is waited for up to this long from its start before it
  // counts as hung. Killing it earlier only starts the next one from nothing.
  std::chrono::milliseconds startup_limit{30000};
};

// One line the program wrote, read as the answer to command `id`.
struct ExecAnswer {
  // `{"id", "type": "ok" | "fail" | "unknown" ("info" too), "value", "error", "node",
  // "refusal"}` as a records::Reply; what is not the protocol is an unknown saying what is wrong.
  records::Reply reply;
  bool stale = false;   // it answers another id (an earlier command's late answer): skip it
  bool broken = false;  // not the protocol (not JSON, no id, no such type): replace the program
};
ExecAnswer ParseExecReply(const std::string& line, int64_t id,
                          const std::vector<workloads::NodeAddress>& members);

class ExecClient : public workloads::Client {
 public:
  explicit ExecClient(ExecClientOptions options);
  ~ExecClient() override;
  ExecClient(const ExecClient&) = delete;
  ExecClient& operator=(const ExecClient&) = delete;

  records::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout) override;
  // True while the program is running and kept the protocol (it answered the unknown itself):
  // it then serves a fresh logical process, beginning at the slot's home again. False when it
  // died, hung or broke the protocol: the worker makes a new client (a new program).
  bool Renew() override;

  pid_t pid() const { return pid_; }

 private:
  void Start();
  void Stop();  // SIGKILL the group, reap
  // Why the process is gone (its exit status, the end of its log), for an unknown's error.
  std::string WhyGone();

  ExecClientOptions opts_;
  workloads::NodePicker picker_;
  size_t current_;  // where the last operation ended (member index)
  pid_t pid_ = -1;
  int fd_ = -1;         // our end of the socketpair that is its stdin and stdout
  std::string buffer_;  // read and not yet a whole line
  std::string broken_;  // set once the program broke the protocol or died: every Send is unknown
  int64_t next_id_ = 1;
  bool answered_ = false;                          // the program answered since it started
  std::chrono::steady_clock::time_point started_;  // when the program was started
};

// The factory the exec system uses.
std::unique_ptr<workloads::Client> NewExecClient(ExecClientOptions options);

}  // namespace splitbrain::clients
