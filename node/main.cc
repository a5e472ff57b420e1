// splitbrain-node: the Raft key-value server the harness launches and breaks.
// Flags: see kUsage below and docs/CONTRACTS.md. Exit codes: 0 clean shutdown (SIGTERM/SIGINT),
// 2 bad flags, 3 storage refused (corrupt log), 1 other.
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "common/log.h"
#include "node/client.h"
#include "node/node.h"

namespace {

const char kUsage[] =
    R"(usage: splitbrain-node --id n1 --data-dir DIR --member n1=PEER_HOST:PORT/CLIENT_HOST:PORT ... [flags]

A Raft key-value/lock server (docs/CONTRACTS.md). Flags:
  --id NAME                 this node's name, n<number> (the number is its Raft id)
  --data-dir DIR            write-ahead log, snapshot and default event log (created if absent)
  --member NAME=PEER/CLIENT an initial member and its peer and client addresses (repeat, one per
                            member of the initial configuration, this node included). Every
                            address is HOST:PORT; without a host (PORT or :PORT) it is
                            127.0.0.1:PORT — every interface takes saying 0.0.0.0:PORT
  --peer-listen HOST:PORT   where to accept peer connections (default: this node's PEER address)
  --client-listen HOST:PORT where to serve the HTTP client API (default: this node's CLIENT address)
  --admin-token-file FILE   /admin/* calls need "Authorization: Bearer TOKEN", TOKEN being the
                            file's first line (default: no token, admin calls are open)
  --max-entry-bytes N       a command whose log entry would be larger is refused with 413
                            (default 1048576); request bodies may be 64 KiB larger
  --max-pending-bytes N     writes proposed and not yet applied may hold N bytes; beyond,
                            new writes are refused with 503 (default 8388608)
  --max-client-connections N  open client connections (default 1000, and at most the
                            descriptor limit minus 128); at the cap the longest-idle one is closed
  --http-idle-timeout-ms N  close a client connection idle this long (default 60000)
  --http-header-timeout-ms N  a request's header must arrive within N ms of its first byte
                            (default 10000)
  --http-body-timeout-ms N  its body within N ms of the header; also the time to write an
                            answer out (default 30000)
  --client-thread on|off    client connections (reading requests, writing answers) on a thread
                            of their own beside the one that runs Raft (default on)
  --join                    start outside the initial configuration and wait to be added
                            (POST /admin/add on the leader)
  --events FILE             structured event log, JSON lines (default DIR/events.jsonl)
  --tick-ms N               milliseconds per Raft tick (default 10)
  --election-ticks N        election timeout in ticks, randomised in [N, 2N) (default 10)
  --heartbeat-ticks N       leader heartbeat period in ticks (default 1)
  --snapshot-entries N      snapshot and compact the log once N entries follow the last snapshot
                            (default 10000)
  --request-timeout-ms N    a write not committed by then is answered "unknown" (default 5000)
  --bug NAME                turn a planted bug on (repeatable): stale-read, no-fsync,
                            commit-old-term, no-prevote, ack-before-commit, lease-read,
                            install-keeps-state, snapshot-drops-config
  --max-entries-per-msg N   at most N entries per AppendEntries (default 256)
  --max-inflight-msgs N     at most N unacknowledged AppendEntries per follower (default 256)
  --read-rounds quorum|all  a ReadIndex round's heartbeat goes to as many followers as make a
                            quorum with the leader, those that answered the last round first
                            (quorum, the default; a round unanswered for a tick goes to all),
                            or to every follower (all)
  --failpoint NAME=ACTION[@P]  inject a fault when the node passes the point NAME, with
                            probability P (default 1; repeatable). Points: leader-send-entries
                            (the leader is about to send entries of its own term, durable on it
                            only). Actions: crash (die as at SIGKILL, what was not fsynced
                            lost alike, and start again after --crash-restart-ms, same pid)
  --crash-restart-ms N      how long a failpoint crash stays down (default 500)
  --seed N                  seed election timeouts and failpoint rolls (each failpoint restart
                            mixes in its count); the harness passes one derived from the run's
                            seed (default: random)
  --crash-loses-unsynced    keep file writes in process memory until they are fsynced, so a
                            SIGKILL loses every byte never fsynced, as a power cut would (a
                            clean SIGTERM/SIGINT exit writes them out); the lab's way to make
                            --bug no-fsync lose acknowledged writes
  --log-level LEVEL         debug, info, warn, error, off (default info)
  --help                    this text

Exit codes: 0 clean shutdown (SIGTERM/SIGINT), 2 bad flags, 3 storage refused (corrupt log), 1 other.
)";

[[noreturn]] void BadFlag(const std::string& why) {
  std::cerr << "splitbrain-node: " << why << " (see --help)\n";
  std::exit(2);
}

int ParseInt(const std::string& flag, const std::string& v, int lo, int hi) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size() || n < lo || n > hi) throw std::out_of_range(v);
    return static_cast<int>(n);
  } catch (const std::exception&) {
    BadFlag(flag + " wants an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
            "], not '" + v + "'");
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace splitbrain;
  using namespace splitbrain::node;
  SetRestartCommand(argc, argv);
  const int restarted_after_ms = FinishCrashRestart();
  NodeOptions opt;
  opt.http.own_thread = true;
  std::string log_level = "info";
  bool crash_loses_unsynced = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_inline = false;
    if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline = true;
    }
    auto next = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= args.size()) BadFlag(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (flag == "--id") {
      opt.id = next();
    } else if (flag == "--data-dir") {
      opt.data_dir = next();
    } else if (flag == "--member") {
      std::string m = next();
      auto eq = m.find('=');
      auto slash = m.find('/', eq == std::string::npos ? 0 : eq);
      if (eq == std::string::npos || slash == std::string::npos) {
        BadFlag("--member '" + m + "' is not NAME=PEER_HOST:PORT/CLIENT_HOST:PORT");
      }
      std::string name = m.substr(0, eq);
      MemberAddress addr{DefaultHostToLoopback(m.substr(eq + 1, slash - eq - 1)),
                         DefaultHostToLoopback(m.substr(slash + 1))};
      if (NodeIdFromName(name) == 0) BadFlag("--member name '" + name + "' is not n<number>");
      if (!SplitHostPort(addr.peer).ok() || !SplitHostPort(addr.client).ok()) {
        BadFlag("--member '" + m + "': bad address");
      }
      if (opt.members.count(name)) BadFlag("--member '" + name + "' given twice");
      opt.members[name] = addr;
    } else if (flag == "--peer-listen") {
      opt.peer_listen = DefaultHostToLoopback(next());
      if (!SplitHostPort(opt.peer_listen).ok())
        BadFlag("--peer-listen '" + opt.peer_listen + "' is not HOST:PORT");
    } else if (flag == "--client-listen") {
      opt.client_listen = DefaultHostToLoopback(next());
      if (!SplitHostPort(opt.client_listen).ok())
        BadFlag("--client-listen '" + opt.client_listen + "' is not HOST:PORT");
    } else if (flag == "--join") {
      opt.join = true;
    } else if (flag == "--events") {
      opt.events_path = next();
    } else if (flag == "--tick-ms") {
      opt.tick_ms = ParseInt(flag, next(), 1, 10000);
    } else if (flag == "--election-ticks") {
      opt.election_ticks = ParseInt(flag, next(), 2, 100000);
    } else if (flag == "--heartbeat-ticks") {
      opt.heartbeat_ticks = ParseInt(flag, next(), 1, 100000);
    } else if (flag == "--snapshot-entries") {
      opt.snapshot_entries = static_cast<uint64_t>(ParseInt(flag, next(), 1, 1 << 30));
    } else if (flag == "--request-timeout-ms") {
      opt.request_timeout_ms = ParseInt(flag, next(), 1, 3600 * 1000);
    } else if (flag == "--bug") {
      std::string b = next();
      const auto& known = KnownBugs();
      if (std::find(known.begin(), known.end(), b) == known.end()) {
        BadFlag("unknown --bug '" + b + "'");
      }
      opt.bugs.insert(b);
    } else if (flag == "--max-entries-per-msg") {
      opt.max_entries_per_msg = static_cast<uint64_t>(ParseInt(flag, next(), 1, 1 << 20));
    } else if (flag == "--max-inflight-msgs") {
      opt.max_inflight_msgs = static_cast<uint64_t>(ParseInt(flag, next(), 1, 1 << 20));
    } else if (flag == "--read-rounds") {
      const std::string v = next();
      if (v != "quorum" && v != "all") BadFlag("--read-rounds is quorum or all, not '" + v + "'");
      opt.targeted_read_rounds = v == "quorum";
    } else if (flag == "--failpoint") {
      auto spec = ParseFailpoint(next());
      if (!spec.ok()) BadFlag(spec.status().message());
      opt.failpoints.push_back(std::move(spec).value());
    } else if (flag == "--seed") {
      const std::string v = next();
      try {
        size_t pos = 0;
        opt.seed = std::stoull(v, &pos);
        if (pos != v.size() || v[0] == '-') throw std::invalid_argument(v);
      } catch (const std::exception&) {
        BadFlag("--seed '" + v + "' is not a non-negative integer");
      }
    } else if (flag == "--crash-restart-ms") {
      opt.crash_restart_ms = ParseInt(flag, next(), 0, 3600 * 1000);
    } else if (flag == "--crash-loses-unsynced") {
      if (has_inline) BadFlag("--crash-loses-unsynced takes no value");
      crash_loses_unsynced = true;
    } else if (flag == "--admin-token-file") {
      const std::string file = next();
      std::ifstream in(file);
      std::string token;
      if (!in || !std::getline(in, token))
        BadFlag("--admin-token-file '" + file + "' is unreadable");
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
        token.pop_back();
      }
      if (token.empty()) BadFlag("--admin-token-file '" + file + "' holds no token");
      opt.admin_token = token;
    } else if (flag == "--max-entry-bytes") {
      opt.max_entry_bytes = static_cast<size_t>(ParseInt(flag, next(), 1024, 64 << 20));
    } else if (flag == "--max-pending-bytes") {
      opt.max_pending_bytes = static_cast<size_t>(ParseInt(flag, next(), 1024, 1 << 30));
    } else if (flag == "--max-client-connections") {
      opt.http.max_connections = ParseInt(flag, next(), 1, 1 << 20);
    } else if (flag == "--http-idle-timeout-ms") {
      opt.http.idle_timeout_ms = ParseInt(flag, next(), 1, 3600 * 1000);
    } else if (flag == "--http-header-timeout-ms") {
      opt.http.header_timeout_ms = ParseInt(flag, next(), 1, 3600 * 1000);
    } else if (flag == "--http-body-timeout-ms") {
      opt.http.body_timeout_ms = ParseInt(flag, next(), 1, 3600 * 1000);
    } else if (flag == "--client-thread") {
      const std::string v = next();
      if (v != "on" && v != "off") BadFlag("--client-thread takes on or off, not '" + v + "'");
      opt.http.own_thread = v == "on";
    } else if (flag == "--log-level") {
      log_level = next();
    } else {
      BadFlag("unknown flag '" + args[i] + "'");
    }
  }
  if (opt.id.empty()) BadFlag("--id is required");
  if (NodeIdFromName(opt.id) == 0) BadFlag("--id '" + opt.id + "' is not n<number>");
  if (opt.data_dir.empty()) BadFlag("--data-dir is required");
  if (!opt.join && !opt.members.count(opt.id)) {
    BadFlag("--id " + opt.id + " is not among the --member list (use --join for a new node)");
  }
  if (opt.heartbeat_ticks >= opt.election_ticks)
    BadFlag("--heartbeat-ticks must be below --election-ticks");
  LogLevel level;
  if (!ParseLogLevel(log_level, &level)) BadFlag("--log-level '" + log_level + "' is unknown");
  SetLogLevel(level);
  if (restarted_after_ms >= 0) {
    SB_LOG(kWarn, "node") << opt.id << " restarted " << restarted_after_ms
                          << " ms after a failpoint crash";
  }
  std::signal(SIGPIPE, SIG_IGN);
  // A parent may have spawned us with SIGTERM/SIGINT blocked (ctest does): a shutdown request
  // must still reach us.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  sigprocmask(SIG_UNBLOCK, &shutdown_signals, nullptr);

  // Never destroyed (static, so leak checkers see it reachable): files point to it to the end.
  static VolatileCacheEnv* volatile_env = nullptr;
  if (crash_loses_unsynced) {
    volatile_env = new VolatileCacheEnv(PosixEnv());
    opt.env = volatile_env;
    SB_LOG(kInfo, "node") << "--crash-loses-unsynced: file writes not fsynced stay in memory "
                             "and are lost at SIGKILL";
  }

  boost::asio::io_context ioc(1);
  auto created = Node::Create(ioc, opt);
  if (!created.ok()) {
    std::cerr << "splitbrain-node: " << created.status() << "\n";
    if (created.status().code() == StatusCode::kCorruption) return 3;
    if (created.status().code() == StatusCode::kInvalidArgument) return 2;
    return 1;
  }
  std::unique_ptr<Node> node = std::move(created).value();
  Status started = node->Start();
  if (!started.ok()) {
    std::cerr << "splitbrain-node: " << started << "\n";
    return started.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  boost::asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    SB_LOG(kInfo, "node") << "signal " << sig << ": shutting down";
    node->Stop();
    ioc.stop();
  });
  ioc.run();
  node->Stop();
  node.reset();
  if (volatile_env) {
    // A clean exit is no crash: the operating system would keep what was written.
    Status flushed = volatile_env->Flush();
    if (!flushed.ok()) {
      std::cerr << "splitbrain-node: " << flushed << "\n";
      return 1;
    }
  }
  return 0;
}
