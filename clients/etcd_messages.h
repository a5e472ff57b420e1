// The gateway JSON of etcd's KV calls (Range, Put, Txn) to and from etcd's messages, written by
// hand. The gRPC transport (etcd_grpc.cc) runs every call the workloads make through these;
// protobuf's JSON mapping (google::protobuf::util), which they replace on that path, cost about a
// quarter of the harness's CPU per etcd operation — CPU that a Go client, building its messages
// directly, does not spend, and that the benchmark against splitbrain-node then took from etcd's
// members (harness/systems/README.md, Benchmark). They produce what the mapping produces
// (`preserve_proto_field_names`, defaults left out, 64-bit integers as strings, bytes as
// base64) — etcd_grpc_test.cc compares them with it on random messages — and they give up
// (false, std::nullopt) on anything they do not cover, for the caller to use the mapping.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "clients/etcd/rpc.pb.h"

namespace splitbrain::clients::etcd {

// A request body as etcd_client.cc builds it (either field-name spelling, integers as strings or
// numbers), into `out`; false when it holds a field, a value or an operation these do not cover.
bool RangeFromJson(const nlohmann::json& body, etcdserverpb::RangeRequest* out);
bool PutFromJson(const nlohmann::json& body, etcdserverpb::PutRequest* out);
bool TxnFromJson(const nlohmann::json& body, etcdserverpb::TxnRequest* out);

// A response as protobuf's JSON mapping prints it; std::nullopt for a transaction answering an
// operation other than a range or a put.
nlohmann::json ToJson(const etcdserverpb::RangeResponse& r);
nlohmann::json ToJson(const etcdserverpb::PutResponse& r);
std::optional<nlohmann::json> ToJson(const etcdserverpb::TxnResponse& r);

}  // namespace splitbrain::clients::etcd
