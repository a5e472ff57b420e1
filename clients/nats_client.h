// The NATS JetStream client (issue 16): the queue workload's commands to nats-server members
// through the real C client, libnats (Debian's libnats-dev 3.4.1) — a replicated stream, publishes
// with acks and message ids, whole-stream reads. One connection per client, libnats's
// reconnection off (it would send a buffered publish later, behind the operation's back). Not
// thread-safe: one client per worker; the pure translation in nats:: is.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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
std::unique_ptr<workloads::Client> NewNatsClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed);

namespace nats {

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

}  // namespace nats
}  // namespace splitbrain::clients
