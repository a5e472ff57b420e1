// Grudges (Jepsen's term): for each node, the nodes whose packets it drops. Pure functions that
// build the partition shapes; no I/O, no clock. The random ones take the caller's Rng.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/rng.h"

namespace splitbrain::nemesis {

using NodeId = std::string;
// node -> the nodes whose packets it drops. A node absent from the map drops nothing.
using Grudge = std::map<NodeId, std::set<NodeId>>;
// A directed link [from, to]: from's packets to `to` are dropped.
using Link = std::pair<NodeId, NodeId>;

// Each node drops every node of the other components. A node in no component drops nothing
// and is dropped by no one (the bridge node of Bridge).
// `v` in a random order drawn from `rng` (Fisher-Yates).
std::vector<NodeId> Shuffled(std::vector<NodeId> v, Rng& rng);

Grudge Complete(const std::vector<std::vector<NodeId>>& components);
// The nodes split in two halves at random: the first floor(n/2) of a shuffle, and the rest.
Grudge RandomHalves(const std::vector<NodeId>& nodes, Rng& rng);
// `target` cut from every other node, both ways.
Grudge Isolate(const std::vector<NodeId>& nodes, const NodeId& target);
// Every node hears a majority (itself and its neighbours on a ring), but no two hear the same
// majority; the ring order is a shuffle of `nodes`. Needs 3+ nodes.
Grudge MajoritiesRing(const std::vector<NodeId>& nodes, Rng& rng);
// Two halves joined by one node that sees both: for [n1..n5] in this order, {n1,n2} and
// {n4,n5} cannot talk while n3 talks to all. Order is the caller's (shuffle for randomness).
Grudge Bridge(const std::vector<NodeId>& nodes);
// Drop every packet from each node of `from` to each node of `to` (one direction only).
Grudge Directed(const std::vector<NodeId>& from, const std::vector<NodeId>& to);
// Both directions between `a` and `b`: Directed(a, b) and Directed(b, a) together.
Grudge BothWays(const std::vector<NodeId>& a, const std::vector<NodeId>& b);

// The directed links a grudge cuts, sorted: [from, to] for each `to` dropping `from`.
std::vector<Link> Links(const Grudge& grudge);

}  // namespace splitbrain::nemesis
