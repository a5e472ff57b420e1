#include "harness/systems/registry.h"

#include "harness/systems/etcd.h"
#include "harness/systems/exec.h"
#include "harness/systems/nats.h"
#include "harness/systems/splitbrain.h"
#include "harness/systems/zookeeper.h"

namespace splitbrain::harness {

const std::vector<SystemAdapter>& Systems() {
  // A new system: its adapter file in this folder, one line here and its entry in catalog.cc
  // (README.md, "Adding a system").
  static const std::vector<SystemAdapter> kSystems = {
      SplitbrainAdapter(), EtcdAdapter(), ExecAdapter(), NatsAdapter(), ZookeeperAdapter()};
  return kSystems;
}

const SystemAdapter* FindSystem(const std::string& name) {
  for (const auto& s : Systems()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace splitbrain::harness
