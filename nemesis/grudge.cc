#include "nemesis/grudge.h"

#include <algorithm>

namespace splitbrain::nemesis {
std::vector<NodeId> Shuffled(std::vector<NodeId> v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Uniform(i)]);
  return v;
}

Grudge Complete(const std::vector<std::vector<NodeId>>& components) {
  Grudge g;
  for (const auto& c : components) {
    for (const auto& n : c) {
      for (const auto& other : components) {
        if (&other == &c) continue;
        for (const auto& m : other) {
          if (std::find(c.begin(), c.end(), m) == c.end()) g[n].insert(m);
        }
      }
    }
  }
  return g;
}

Grudge RandomHalves(const std::vector<NodeId>& nodes, Rng& rng) {
  auto s = Shuffled(nodes, rng);
  const size_t half = s.size() / 2;
  return Complete({{s.begin(), s.begin() + half}, {s.begin() + half, s.end()}});
}

Grudge Isolate(const std::vector<NodeId>& nodes, const NodeId& target) {
  std::vector<NodeId> rest;
  for (const auto& n : nodes) {
    if (n != target) rest.push_back(n);
  }
  return Complete({{target}, rest});
}

Grudge MajoritiesRing(const std::vector<NodeId>& nodes, Rng& rng) {
  auto ring = Shuffled(nodes, rng);
  const size_t n = ring.size();
  const size_t majority = n / 2 + 1;
  // Each node sees itself and the (majority-1) nodes around it, split left and right.
  const size_t left = (majority - 1) / 2;
  const size_t right = majority - 1 - left;
  Grudge g;
  for (size_t i = 0; i < n; ++i) {
    std::set<NodeId> sees;
    for (size_t d = 0; d <= left; ++d) sees.insert(ring[(i + n - d) % n]);
    for (size_t d = 0; d <= right; ++d) sees.insert(ring[(i + d) % n]);
    for (const auto& m : ring) {
      if (!sees.count(m)) g[ring[i]].insert(m);
    }
  }
  // For an odd majority the windows are symmetric (5 nodes: each hears its two neighbours); for
  // an even one (3 or 4 nodes) the grudge is one-sided, as in Jepsen's majorities-ring.
  return g;
}

Grudge Bridge(const std::vector<NodeId>& nodes) {
  const size_t n = nodes.size();
  const size_t mid = n / 2;  // the bridge node: for 5, index 2
  std::vector<NodeId> a(nodes.begin(), nodes.begin() + mid);
  std::vector<NodeId> b(nodes.begin() + mid + 1, nodes.end());
  return Complete({a, b});
}

Grudge Directed(const std::vector<NodeId>& from, const std::vector<NodeId>& to) {
  Grudge g;
  for (const auto& t : to) {
    for (const auto& f : from) {
      if (f != t) g[t].insert(f);
    }
  }
  return g;
}

Grudge BothWays(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  Grudge g = Directed(a, b);
  for (const auto& [to, froms] : Directed(b, a)) g[to].insert(froms.begin(), froms.end());
  return g;
}

std::vector<Link> Links(const Grudge& grudge) {
  std::vector<Link> out;
  for (const auto& [to, froms] : grudge) {
    for (const auto& from : froms) out.emplace_back(from, to);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace splitbrain::nemesis
