#include "workloads/cluster_client.h"

#include <thread>

namespace splitbrain::workloads {

using Clock = std::chrono::steady_clock;

ClusterClient::ClusterClient(std::vector<NodeAddress> nodes, size_t slot, Placement placement,
                             uint64_t seed)
    : nodes_(std::move(nodes)),
      picker_(placement, nodes_.size(), slot, seed),
      current_(picker_.home()),
      clients_(nodes_.size()) {}

void ClusterClient::MoveTo(size_t i) { current_ = i % nodes_.size(); }

node::Reply ClusterClient::Send(const nlohmann::json& command, std::chrono::milliseconds timeout,
                                std::string* answered_by) {
  const auto deadline = Clock::now() + timeout;
  node::Reply reply;
  reply.outcome = node::Outcome::kFail;
  reply.error = "deadline passed before any node accepted the command";
  int attempts = 0;
  // Where this operation begins; redirects below are followed within this operation only.
  MoveTo(picker_.Start(current_));
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return reply;
    if (attempts++ > 0) {
      // Back off a little so a cluster without a leader is not hammered.
      auto pause = std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(10));
      std::this_thread::sleep_for(pause);
      left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return reply;
    }
    auto& client = clients_[current_];
    if (!client) client = std::make_unique<node::Client>(nodes_[current_].client);
    reply = client->Command(command, left);
    *answered_by = nodes_[current_].id;
    if (reply.outcome != node::Outcome::kFail) return reply;
    // A definite refusal: the node never proposed it. Retry where it says the leader is, or on
    // the next node when it is down or has no leader; stop on the operation's own refusals.
    if (reply.http_status == 409 || reply.http_status == 400) return reply;
    if (reply.redirect()) {
      bool found = false;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].client == reply.leader_client || nodes_[i].id == reply.leader) {
          if (i == current_) break;
          MoveTo(i);
          found = true;
          break;
        }
      }
      if (found) continue;
    }
    MoveTo(current_ + 1);
  }
}

}  // namespace splitbrain::workloads
