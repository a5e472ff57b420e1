#include "workloads/placement.h"

namespace splitbrain::workloads {

const std::vector<std::string>& PlacementNames() {
  static const std::vector<std::string> names = {"home", "leader", "random"};
  return names;
}

const char* PlacementName(Placement placement) {
  switch (placement) {
    case Placement::kHome:
      return "home";
    case Placement::kLeader:
      return "leader";
    case Placement::kRandom:
      return "random";
  }
  return "home";
}

std::optional<Placement> ParsePlacement(const std::string& name) {
  if (name == "home") return Placement::kHome;
  if (name == "leader") return Placement::kLeader;
  if (name == "random") return Placement::kRandom;
  return std::nullopt;
}

NodePicker::NodePicker(Placement placement, size_t nodes, size_t slot, uint64_t seed)
    : placement_(placement), nodes_(nodes), home_(slot % nodes), rng_(seed) {}

size_t NodePicker::Start(size_t current) {
  switch (placement_) {
    case Placement::kHome:
      return home_;
    case Placement::kLeader:
      return current % nodes_;
    case Placement::kRandom:
      return static_cast<size_t>(rng_.Uniform(nodes_));
  }
  return home_;
}

}  // namespace splitbrain::workloads
