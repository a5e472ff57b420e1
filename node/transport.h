// Transport: TCP between Raft peers, built so that a one-way partition means what it says. Each
// node opens its own connection to each peer and only WRITES its messages there; it only READS
// messages from connections other nodes opened. Cutting A's connections to B (the lab drops A's
// packets on connections A opened) therefore stops exactly A->B.
//
// Frames: u32 little-endian length, then raft::EncodeMessage bytes. Outgoing queues are bounded
// (Raft tolerates loss: a message that does not fit is dropped), queued frames go out in one
// write (batching), heartbeats, votes and acknowledgements ahead of queued entries, and a lost
// connection is retried with exponential backoff.
// Anyone who reaches the peer port can connect and send frames (node/README.md, threat model):
// incoming connections are capped, frames bounded, and a failing accept (EMFILE) backs off.
// Runs on the caller's io_context; every method must be called from that io_context's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/status.h"
#include "raft/types.h"

namespace splitbrain::node {

struct TransportOptions {
  size_t max_queue_bytes = 64 << 20;   // per peer, entries and snapshots; beyond it they are
                                       // dropped (control messages have their own 4 MiB)
  size_t max_frame_bytes = 256 << 20;  // larger incoming frames close the connection
  int backoff_min_ms = 20;
  int backoff_max_ms = 1000;
  int connect_timeout_ms = 1000;  // a connect not done by then is abandoned (and retried)
  int user_timeout_ms = 2000;     // TCP_USER_TIMEOUT of outgoing connections
  // Incoming connections kept open (anyone can connect to the peer port); at the cap the one
  // silent longest is closed — a real peer sends every tick and reconnects if it was the one.
  size_t max_inbound = 64;
};

class Transport {
 public:
  using Handler = std::function<void(raft::Message)>;

  Transport(boost::asio::io_context& ioc, TransportOptions options, Handler on_message);
  ~Transport();

  // Binds and listens on "host:port".
  Status Listen(const std::string& address);
  // Where messages for `id` go ("host:port"); replaces an older address (reconnecting).
  void SetPeer(raft::NodeId id, const std::string& address);
  void RemovePeer(raft::NodeId id);
  bool HasPeer(raft::NodeId id) const { return peers_.count(id) > 0; }
  // Queues `m` for m.to; drops it when the peer is unknown or its queue is full.
  void Send(const raft::Message& m);
  void Close();

  uint64_t dropped() const { return dropped_; }

 private:
  struct Peer;
  struct Inbound;
  void Accept();
  void Connect(const std::shared_ptr<Peer>& peer);
  void Flush(const std::shared_ptr<Peer>& peer);
  void Fail(const std::shared_ptr<Peer>& peer);
  void ReadFrom(const std::shared_ptr<Inbound>& in);

  boost::asio::io_context& ioc_;
  TransportOptions options_;
  Handler on_message_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<boost::asio::steady_timer> accept_retry_;  // accept's backoff after an error
  int accept_backoff_ms_ = 0;
  std::map<raft::NodeId, std::shared_ptr<Peer>> peers_;
  std::map<Inbound*, std::weak_ptr<Inbound>> inbound_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
  // False once closed; handlers still queued in the io_context check it before touching `this`
  // (which may be gone by then).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace splitbrain::node
