// Placement: which node a logical client's operation begins at (issue 25). Jepsen gives every
// client a node of its own because bugs live where traffic is: a client that follows "not
// leader" redirects and stays where it lands ends up on the leader, and followers' reads are
// never exercised. A NodePicker is owned by one client (not thread-safe); it is pure apart from
// its seeded random source, so its choices are tested without a cluster.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"

namespace splitbrain::workloads {

enum class Placement {
  kHome,    // every operation starts at the client's home node (slot mod node count)
  kLeader,  // the first starts at home; later ones where the last one ended (on the leader)
  kRandom,  // every operation starts at a node drawn uniformly from the client's seeded source
};

// "home", "leader", "random", in that order (the first is the default).
const std::vector<std::string>& PlacementNames();
const char* PlacementName(Placement placement);
// The placement called `name`; nullopt for any other text.
std::optional<Placement> ParsePlacement(const std::string& name);

class NodePicker {
 public:
  // `nodes` > 0; the home node is `slot` mod `nodes`, so consecutive slots spread round-robin.
  NodePicker(Placement placement, size_t nodes, size_t slot, uint64_t seed);

  size_t home() const { return home_; }
  Placement placement() const { return placement_; }
  // The node the next operation begins at, given `current`, where the previous one ended.
  // Redirects inside an operation are the client's business; this is only the starting point.
  size_t Start(size_t current);

 private:
  Placement placement_;
  size_t nodes_;
  size_t home_;
  Rng rng_;
};

}  // namespace splitbrain::workloads
