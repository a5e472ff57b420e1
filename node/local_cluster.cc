#include "node/local_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/spawn.h"

namespace splitbrain::node {

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// The lowest port the kernel hands out to outgoing connections (32768 by default).
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768;
  in >> lo;
  return lo;
}

bool Bindable(uint16_t port) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc);
  boost::system::error_code ec;
  const boost::asio::ip::tcp::endpoint at(boost::asio::ip::make_address("127.0.0.1"), port);
  a.open(at.protocol(), ec);
  if (!ec) a.bind(at, ec);
  return !ec;
}

}  // namespace

uint16_t FreePort() {
  // Below the ephemeral range: a port bound with 0 comes from that range, and between this
  // check and the node's own bind any outgoing connection — another test's node dialing a peer —
  // could take it ("Address already in use", seen in CI). Each process starts at its own random
  // place in [10000, low) and walks on, so parallel tests rarely pick the same port.
  static const int low = std::max(EphemeralLow(), 10001);
  static std::atomic<uint32_t> next{std::random_device{}()};
  for (int tries = 0; tries < 2000; ++tries) {
    const auto port = static_cast<uint16_t>(10000 + next.fetch_add(1) % (low - 10000));
    if (Bindable(port)) return port;
  }
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

LocalCluster::LocalCluster(std::string binary, std::string dir, int n,
                           std::vector<std::string> extra_args)
    : binary_(std::move(binary)),
      dir_(std::move(dir)),
      extra_args_(std::move(extra_args)),
      initial_(n) {
  std::filesystem::create_directories(dir_);
  for (int i = 0; i < n; ++i) nodes_.push_back({FreePort(), FreePort(), -1, false});
}

LocalCluster::~LocalCluster() {
  for (int i = 0; i < size(); ++i) Kill(i);
}

std::string LocalCluster::PeerAddress(int i) const {
  return "127.0.0.1:" + std::to_string(nodes_[i].peer_port);
}
std::string LocalCluster::ClientAddress(int i) const {
  return "127.0.0.1:" + std::to_string(nodes_[i].client_port);
}
std::string LocalCluster::DataDir(int i) const { return dir_ + "/" + Name(i); }

int LocalCluster::AddJoiner() {
  nodes_.push_back({FreePort(), FreePort(), -1, true});
  return size() - 1;
}

int LocalCluster::IndexOfName(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (Name(i) == name) return i;
  }
  return -1;
}

Status LocalCluster::Start(int i) {
  if (nodes_[i].pid > 0) return Status::Ok();
  std::vector<std::string> args = {binary_, "--id", Name(i), "--data-dir", DataDir(i)};
  for (int m = 0; m < initial_; ++m) {
    args.push_back("--member");
    args.push_back(Name(m) + "=" + PeerAddress(m) + "/" + ClientAddress(m));
  }
  if (nodes_[i].joiner) {
    args.insert(args.end(),
                {"--join", "--peer-listen", PeerAddress(i), "--client-listen", ClientAddress(i)});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  const std::string log = dir_ + "/" + Name(i) + ".log";
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IoError("cannot open " + log + ": " + std::strerror(errno));
  // The node starts with no blocked signals and default dispositions, whatever ours are.
  SpawnOptions options;
  options.stdout_fd = log_fd;
  options.stderr_fd = log_fd;
  options.new_process_group = own_process_groups_;  // a new group, led by the node
  Result<pid_t> spawned = Spawn(args, options);
  close(log_fd);
  if (!spawned.ok()) {
    return Status::IoError("spawning " + binary_ + ": " + spawned.status().message());
  }
  const pid_t pid = *spawned;
  nodes_[i].pid = pid;
  // Wait until it answers (or dies).
  for (int tries = 0; tries < 200; ++tries) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      nodes_[i].pid = -1;
      return Status::Internal(Name(i) + " exited at start with status " + std::to_string(status) +
                              "; see " + log);
    }
    if (!NodeStatus(i, 200ms).is_null()) return Status::Ok();
    std::this_thread::sleep_for(20ms);
  }
  return Status::Timeout(Name(i) + " did not answer /status; see " + log);
}

Status LocalCluster::StartAll() {
  for (int i = 0; i < size(); ++i) {
    if (!nodes_[i].joiner) SB_RETURN_IF_ERROR(Start(i));
  }
  return Status::Ok();
}

int LocalCluster::UnexpectedExits() {
  for (int i = 0; i < size(); ++i) {
    int status;
    if (nodes_[i].pid > 0 && waitpid(nodes_[i].pid, &status, WNOHANG) == nodes_[i].pid) {
      nodes_[i].pid = -1;
      ++unexpected_exits_;
    }
  }
  return unexpected_exits_;
}

void LocalCluster::Kill(int i) {
  if (nodes_[i].pid <= 0) return;
  int status;
  if (waitpid(nodes_[i].pid, &status, WNOHANG) == nodes_[i].pid) {
    nodes_[i].pid = -1;
    ++unexpected_exits_;
    return;
  }
  ::kill(nodes_[i].pid, SIGKILL);
  waitpid(nodes_[i].pid, &status, 0);
  nodes_[i].pid = -1;
}

void LocalCluster::Signal(int i, int sig) {
  if (nodes_[i].pid > 0) ::kill(nodes_[i].pid, sig);
}

int LocalCluster::Terminate(int i) {
  if (nodes_[i].pid <= 0) return -1;
  if (UnexpectedExits() > 0 && nodes_[i].pid <= 0) return -1;
  ::kill(nodes_[i].pid, SIGTERM);
  int status = 0;
  for (int tries = 0; tries < 500; ++tries) {
    if (waitpid(nodes_[i].pid, &status, WNOHANG) == nodes_[i].pid) {
      nodes_[i].pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  Kill(i);
  return -1;
}

json LocalCluster::NodeStatus(int i, std::chrono::milliseconds deadline) {
  Client c(ClientAddress(i));
  Reply r = c.Status(deadline);
  return r.ok() ? r.body : json(nullptr);
}

int LocalCluster::WaitForLeader(std::chrono::milliseconds deadline, int exclude) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    std::map<std::string, int> votes;
    int running = 0;
    for (int i = 0; i < size(); ++i) {
      if (nodes_[i].pid <= 0 || i == exclude) continue;
      ++running;
      json s = NodeStatus(i);
      if (s.is_object() && s["leader"].is_string()) votes[s["leader"].get<std::string>()]++;
    }
    for (auto& [name, n] : votes) {
      int idx = IndexOfName(name);
      if (n == running && idx >= 0 && idx != exclude && nodes_[idx].pid > 0) {
        json s = NodeStatus(idx);
        if (s.is_object() && s["role"] == "leader") {
          hint_ = idx;
          return idx;
        }
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return -1;
}

Reply LocalCluster::Command(const json& command, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  int target = hint_;
  Reply last;
  last.error = "deadline";
  while (std::chrono::steady_clock::now() < until) {
    if (nodes_[target].pid <= 0) {
      target = (target + 1) % size();
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    Client c(ClientAddress(target));
    last = c.Command(command, std::max(left, 1ms));
    // Stop at an answer, and at the operation's own refusals (409 precondition, 400 bad request,
    // 413 too large): no other node would take them either. Retrying a 413 until the deadline
    // made the last try time out (http_status 0) now and then.
    if (last.outcome != Outcome::kFail || last.http_status == 409 || last.http_status == 400 ||
        last.http_status == 413) {
      hint_ = target;
      return last;
    }
    int idx = last.leader.empty() ? -1 : IndexOfName(last.leader);
    if (idx >= 0 && idx != target) {
      target = idx;
    } else {
      target = (target + 1) % size();
      std::this_thread::sleep_for(30ms);
    }
  }
  return last;
}

bool LocalCluster::WaitApplied(int i, uint64_t index, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    json s = NodeStatus(i);
    if (s.is_object() && s["applied"].get<uint64_t>() >= index) return true;
    std::this_thread::sleep_for(30ms);
  }
  return false;
}

}  // namespace splitbrain::node
