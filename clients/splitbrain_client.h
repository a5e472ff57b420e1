// SplitbrainClient: the workloads::Client of a splitbrain-node cluster (formerly
// workloads::ClusterClient). Each operation begins at the node its placement picks
// (workloads/placement.h: by default the client's home node) and retries by the one policy of
// clients/retry.h: a node's refusal (421 not leader, 503 no leader, refused connection) moves it
// to the leader the node named or to the next node, the operation's own refusal (409, 400) or
// any answer that is not a fail ends it. It keeps one keep-alive connection per node it has
// talked to. Not thread-safe: one per worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/client.h"
#include "records/reply.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::clients {

class SplitbrainClient : public workloads::Client {
 public:
  // `slot` is the logical client's index (its home node is slot mod the node count); `seed`
  // feeds the random placement. `nodes` must not be empty.
  SplitbrainClient(std::vector<workloads::NodeAddress> nodes, size_t slot,
                   workloads::Placement placement, uint64_t seed);
  records::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout) override;

 private:
  std::vector<workloads::NodeAddress> nodes_;
  workloads::NodePicker picker_;
  size_t current_;
  // One connection per node, made on first use.
  std::vector<std::unique_ptr<node::Client>> clients_;
};

// splitbrain-node's answer to POST /command in the workloads' words, as `node_id` gave it:
// outcome, value and error as they are; a fail is the operation's own refusal on 409 (kState)
// and 400 (kInvalid), else the node's (kMember), naming the leader only on a 421 that carries
// its client address (the node's redirect).
records::Reply ReplyFromNode(const node::Reply& answer, const std::string& node_id);

}  // namespace splitbrain::clients
