// The ZooKeeper client (issue 17): the register and lock workloads' commands to ZooKeeper 3.8
// members through the real C client, libzookeeper_mt (Debian's libzookeeper-mt-dev), which runs
// its own I/O and completion threads. One session per client, begun at the member the placement
// picks and moved to another member (zoo_set_servers: the same session, so ZooKeeper's own
// ordering promise holds across the move) only after a refusal that certainly changed nothing.
// Not thread-safe: one client per worker; the pure translation in zookeeper:: is.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "records/reply.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::clients {

namespace zookeeper {
// How a register read is served (plan `workload.kv-reads`). kPlain: getData alone — the member
// the session is connected to answers from its own state, which ZooKeeper documents as
// sequentially consistent, not linearizable (a follower cut off from the leader answers until it
// notices). kSync: `sync` on the key, then getData on the same session — the member catches up
// with the leader first (what ZooKeeper's documentation offers for reading the latest value).
enum class Reads { kPlain, kSync };
const char* ReadsName(Reads reads);
std::optional<Reads> ReadsFromName(const std::string& name);  // nullopt for other text

// Register key k is the znode /splitbrain/register/k; lock l the children of /splitbrain/lock/l.
inline constexpr char kRegisterRoot[] = "/splitbrain/register";
inline constexpr char kLockRoot[] = "/splitbrain/lock";
// The session timeout asked for when the workload gives none (a lock's ttl_ms is used when it
// does); ZooKeeper clamps it to 2–20 ticks (harness/systems/zookeeper.h: 0.5–5 s).
inline constexpr std::chrono::milliseconds kSessionTimeout{4000};

// What a ZooKeeper return code means for a command (STYLE.md's three outcomes). `write` says
// whether the command may change state (setData, create, delete). ZOK is ok. The operation's
// own refusals stand: ZBADVERSION, ZNONODE, ZNODEEXISTS, ZNOTEMPTY are kState, a malformed
// request (ZBADARGUMENTS, ZMARSHALLINGERROR, ZINVALIDACL) kInvalid. A request the handle would
// not send (ZINVALIDSTATE: the session is closed or expired) is the member's refusal, kMember.
// After sending — ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED, ZSESSIONMOVED, ZCLOSING,
// or an answer not back by the deadline (`rc` kNoAnswer) — a write is unknown (the leader may
// have committed it) and a read a kMember fail (a read changes nothing). Pure.
inline constexpr int kNoAnswer = 1;  // not a ZooKeeper code (they are <= 0)
records::Reply ReplyFor(int rc, bool write, const std::string& what);

// The fencing token of a sequential znode's name ("lock-0000000042" → 42); nullopt when the
// name does not end in ZooKeeper's ten-digit sequence number.
std::optional<int64_t> SequenceOf(const std::string& name);
}  // namespace zookeeper

// A client of the ZooKeeper members `members` (id and client address "10.77.0.11:2181"; not
// empty). Register: `read` is getData of the key's znode (null when it has none), preceded by
// `sync` with Reads::kSync; `write` setData (create when the znode does not exist yet); `cas`
// getData then setData with the version read as the expected version — ZooKeeper refuses it
// unless the znode is still at that version, so the value it replaces is the one compared.
// Values are stored as JSON text. Lock (ZooKeeper's recipe; its session lists every member, so
// the library moves it when its member goes quiet, placement aside): `acquire` creates an ephemeral
// sequential child of the lock's znode and waits until it is the lowest, watching the next
// lower child; the fencing token is its sequence number; `release` deletes it. The session
// timeout is the acquire's ttl_ms (else zookeeper::kSessionTimeout): when ZooKeeper expires the
// session it deletes the child, and the holder is told nothing until it asks.
// A session ZooKeeper expired ends the logical process: its operation is answered unknown (with
// why) and the next one opens a new session — ZooKeeper's ordering promises are per session.
// `slot` and `seed` as for SplitbrainClient.
std::unique_ptr<workloads::Client> NewZookeeperClient(std::vector<workloads::NodeAddress> members,
                                                      size_t slot, workloads::Placement placement,
                                                      uint64_t seed, zookeeper::Reads reads);

}  // namespace splitbrain::clients
