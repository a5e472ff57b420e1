// The NATS adapter (issue 16): real nats-server members (Debian's nats-server 2.9.10) with
// JetStream on, one per node namespace, started, stopped and faulted as processes
// (ProcessCluster) from a config file the adapter writes (nodes/<id>/nats.conf); each logical
// client talks to them through libnats (clients/nats_client.h). Leader from the members'
// monitoring endpoint (/jsz); 2.9.10 reports no Raft term there. What NATS cannot do here is in
// catalog.cc. Thread-safe as ProcessCluster is.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/systems/system.h"

namespace splitbrain::harness {

SystemAdapter NatsAdapter();

namespace nats {

inline constexpr int kClientPort = 4222;
inline constexpr int kRoutePort = 6222;
inline constexpr int kMonitorPort = 8222;

// One member's nats-server configuration: its name, client, route and monitoring listeners
// on `ip`, JetStream with its store in `store_dir`, and a route to every other member
// (`peer_ips`, the member's own left out). Pure.
std::string ConfigFor(const std::string& name, const std::string& ip, const std::string& store_dir,
                      const std::vector<std::string>& peer_ips);

// A member's status from its /jsz answer (`jsz`, fetched with accounts and streams): the answer
// with `role` and `term` added in splitbrain-node's words. `role` is "leader" when the member
// leads the stream `stream` (when it knows the stream), else when it leads JetStream's meta
// group; "follower" otherwise. `term` is 0 (2.9.10 reports none), `meta_leader` and
// `stream_leader` (null when unknown) say who leads. Null for anything that is not a /jsz answer.
nlohmann::json StatusFromJsz(const std::string& name, const nlohmann::json& jsz,
                             const std::string& stream);

}  // namespace nats
}  // namespace splitbrain::harness
