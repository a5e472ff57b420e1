// The NATS JetStream client (issue 16): how the queue workload's commands reach nats-server
// members through the real C client, libnats (Debian's libnats-dev 3.4.1): `queue-create` adds
// the replicated stream "queue" (file storage, R=3, R=5 on five or more members),
// `enqueue` is a JetStream publish with an acknowledgement and a message id (the value, for the
// server's de-duplication), `queue-read` reads the whole stream in order through an ephemeral
// pull consumer (a stream JetStream answers "not found" for kStreamGoneAfter reads as empty: it
// was created before the workload began, so it was lost). One connection per client, reconnection
// off: a connection that is gone is certainly not carrying a publish, so the client connects anew
// (to the next member) itself. Not thread-safe: one client per worker; the pure translation below
// is.
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
// empty). Each operation begins where the placement says (the home member by default; a
// `queue-read` with "reader" i at member i mod the count) and moves to the next member only
// after a refusal that certainly changed nothing. `slot` and `seed` as for SplitbrainClient.
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
