// The NATS JetStream client (issue 16): the queue and register workloads' commands to
// nats-server members through the real C client, libnats (Debian's libnats-dev 3.4.1) — a
// replicated stream with acked, de-duplicated publishes and whole-stream reads; a replicated KV
// bucket with get, put and compare-and-set. One connection per client, libnats's reconnection off.
// Not thread-safe: one client per worker; the pure translation in nats:: is.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "records/reply.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::clients {

// A client of the nats-server members `members` (id and client address "10.77.0.11:4222"; not
// empty). `queue-create` adds the stream "queue" (file storage, R = Replicas(members));
// `enqueue` publishes its value with the value as message id (JetStream drops a second copy
// within its window); `queue-read` reads the whole stream in order through an ephemeral pull
// consumer, and reads a stream JetStream keeps calling "not found" for kStreamGoneAfter as
// empty (it was created before the workload began, so it was lost). A lost connection is
// certainly not carrying a publish: the client connects anew, to the next member. Each operation
// begins where the placement says (the home member by default; a `queue-read` with "reader" i at
// member i mod the count) and moves to the next member only after a refusal that certainly changed
// nothing. `slot` and `seed` as for SplitbrainClient.
//
// The register workload's `read`, `write` and `cas` go to the KV bucket "register" (file
// storage, R = Replicas(members), history 1), bound (or made) at a client's first register
// command: `read` is kvStore_Get (null when the key has no value), `write` kvStore_Put, and
// `cas` a kvStore_Get and then kvStore_Update with the revision read as the expected last
// revision — JetStream promises to refuse it unless the key is still at that revision, so the
// value it replaces is the one compared (2.9.10 breaks that promise when updates are in flight
// together: harness/systems/README.md); a value that is not the expected one is a fail that
// changed nothing. `kv_reads` says how gets are served (nats::KvReads).
namespace nats {
// How a KV get reaches the bucket (plan `workload.kv-reads`). kDirect: libnats 3.4.1's own
// choice — js_CreateKeyValue always sets the stream's allow_direct, and kvStore_Get then sends
// a direct get ($JS.API.DIRECT.GET.KV_register...) that nats-server 2.9.10 answers from
// whichever replica's store the queue group picks, the leader or any follower it deems current.
// kLeader: the bucket's stream is made with allow_direct off (the same KV stream otherwise), and
// kvStore_Get asks the stream leader ($JS.API.STREAM.MSG.GET.KV_register).
enum class KvReads { kDirect, kLeader };
// The register workload's bucket and the stream JetStream keeps it in.
inline constexpr char kBucket[] = "register";
inline constexpr char kKvStream[] = "KV_register";
}  // namespace nats

std::unique_ptr<workloads::Client> NewNatsClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed,
                                                 nats::KvReads kv_reads = nats::KvReads::kDirect);

namespace nats {

// "direct" / "leader", and back (nullopt for anything else).
const char* KvReadsName(KvReads reads);
std::optional<KvReads> KvReadsFromName(const std::string& name);

// How long one client's reads must find no stream (JetStream's "stream not found", with no
// other answer between) before a read says the log is empty: a meta leader elected a moment ago
// answers "not found" for a stream it has not restored yet.
inline constexpr std::chrono::seconds kStreamGoneAfter{10};

// The stream's replication factor on `members` members: 5 on five or more, else up to 3.
int64_t Replicas(size_t members);

// What a JetStream publish's result means (STYLE.md's three outcomes). `status` and `js_error`
// are what js_Publish returned; `acked` whether an acknowledgement came. An ack is ok (a
// duplicate ack too: the message is in the stream). "No responders" is a fail (no stream
// member took the message: the server dropped it), and so is an error answered by JetStream
// itself (`js_error` set: the stream leader refused it). Everything else — a timeout, a
// connection lost while waiting — is unknown: the message may be stored. A publish never sent
// (no connection) is the caller's fail, not this function's.
records::Reply PublishReply(natsStatus status, jsErrCode js_error, bool acked,
                            const std::string& text);

// What a KV put or update's result means. libnats's kvStore_Put and kvStore_Update give no
// JetStream error code, only `status` and the last error's `text`: NATS_ERR there is an answer
// from JetStream refusing the message (js_Publish's parsed error), so a fail — a state refusal
// (the compare failed) when the text is JetStream's "wrong last sequence" (10071), else the
// member's. No responders is a fail; anything else (a timeout, a lost connection) unknown.
records::Reply KvWriteReply(natsStatus status, const std::string& text);

}  // namespace nats
}  // namespace splitbrain::clients
