#include "clients/splitbrain_client.h"

#include <utility>

#include "clients/retry.h"

namespace splitbrain::clients {

using Clock = std::chrono::steady_clock;

records::Reply ReplyFromNode(const node::Reply& answer, const std::string& node_id) {
  records::Reply r;
  r.outcome = answer.outcome;
  r.value = answer.value;
  r.error = answer.error;
  r.node = node_id;
  if (answer.outcome != records::Outcome::kFail) return r;
  if (answer.http_status == 409) {
    r.refusal = records::Refusal::kState;
  } else if (answer.http_status == 400) {
    r.refusal = records::Refusal::kInvalid;
  } else {
    r.refusal = records::Refusal::kMember;
    if (answer.redirect()) {
      r.leader = answer.leader;
      r.leader_address = answer.leader_client;
    }
  }
  return r;
}

SplitbrainClient::SplitbrainClient(std::vector<workloads::NodeAddress> nodes, size_t slot,
                                   workloads::Placement placement, uint64_t seed)
    : nodes_(std::move(nodes)),
      picker_(placement, nodes_.size(), slot, seed),
      current_(picker_.home()),
      clients_(nodes_.size()) {}

records::Reply SplitbrainClient::Send(const nlohmann::json& command,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Where this operation begins; redirects are followed within this operation only.
  current_ = picker_.Start(current_) % nodes_.size();
  return SendWithRetry(
      deadline, nodes_.size(), &current_,
      [&](size_t i, std::chrono::milliseconds left) {
        auto& client = clients_[i];
        if (!client) client = std::make_unique<node::Client>(nodes_[i].client);
        return ReplyFromNode(client->Command(command, left), nodes_[i].id);
      },
      [&](const records::Reply& refusal) -> std::optional<size_t> {
        for (size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i].client == refusal.leader_address || nodes_[i].id == refusal.leader) {
            return i;
          }
        }
        return std::nullopt;
      },
      "deadline passed before any node accepted the command");
}

}  // namespace splitbrain::clients
