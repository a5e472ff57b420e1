#include "node/transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <algorithm>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "common/log.h"
#include "node/client.h"
#include "raft/codec.h"

namespace splitbrain::node {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kMaxControlBytes = 4 << 20;    // per peer: control frames queued at most
constexpr size_t kMaxBulkWriteBytes = 1 << 20;  // entries written in one go (at least a frame)

// Outgoing: data unacknowledged for this long (a partition) kills the connection, so that a
// healed link is used again within about a second instead of after TCP's retransmission backoff.
void SetUserTimeout(tcp::socket& s, int ms) {
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
}
// Incoming: probe idle connections, so that a peer that reconnected does not leave a dead one.
void SetKeepAlive(tcp::socket& s) {
  int on = 1, idle = 5, intvl = 1, cnt = 3;
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}
}  // namespace

struct Transport::Peer {
  Peer(asio::io_context& ioc, raft::NodeId id, std::string address)
      : id(id), address(std::move(address)), socket(ioc), timer(ioc) {}
  enum class State { kIdle, kConnecting, kConnected, kBackoff };
  raft::NodeId id;
  std::string address;
  tcp::socket socket;
  asio::steady_timer timer;
  State state = State::kIdle;
  std::deque<std::string> queue;  // entries and snapshot chunks, in order
  size_t queued_bytes = 0;
  // Everything else (heartbeats, votes, acknowledgements): written ahead of `queue`, so a leader's
  // heartbeats never wait behind megabytes of entries (etcd keeps them on a stream of their own).
  std::deque<std::string> control;
  size_t control_bytes = 0;
  std::vector<std::string> writing;
  bool write_in_flight = false;
  int backoff_ms = 0;
  uint64_t generation = 0;  // bumped on every (re)connect and failure: stale handlers do nothing
  bool removed = false;
  char probe = 0;
};

struct Transport::Inbound {
  explicit Inbound(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  // Bytes received: [0, used) not yet delivered. buf keeps its size between reads (it is the
  // space to read into), so a read does not zero-fill 64 KiB first as resizing it each time did
  // (1.4% of all CPU samples at 8 clients, perf record -a).
  std::string buf;
  size_t used = 0;
  std::chrono::steady_clock::time_point last_read = std::chrono::steady_clock::now();
};

Transport::Transport(asio::io_context& ioc, TransportOptions options, Handler on_message)
    : ioc_(ioc), options_(options), on_message_(std::move(on_message)) {}

Transport::~Transport() { Close(); }

Status Transport::Listen(const std::string& address) {
  SB_ASSIGN_OR_RETURN(auto hp, SplitHostPort(address));
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(hp.first, ec);
  if (ec) return Status::InvalidArgument("peer listen address '" + address + "': " + ec.message());
  tcp::endpoint ep(ip, hp.second);
  acceptor_ = std::make_unique<tcp::acceptor>(ioc_);
  accept_retry_ = std::make_unique<asio::steady_timer>(ioc_);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("listening on " + address + ": " + ec.message());
  Accept();
  return Status::Ok();
}

void Transport::Accept() {
  acceptor_->async_accept([this, alive = alive_](boost::system::error_code ec, tcp::socket socket) {
    if (!*alive) return;
    if (ec) {
      // EMFILE/ENFILE: the connection stays queued and accept would fail again at once.
      accept_backoff_ms_ = std::clamp(accept_backoff_ms_ * 2, 10, 1000);
      if (accept_backoff_ms_ == 10) {
        SB_LOG(kWarn, "transport") << "accept: " << ec.message() << "; backing off";
      }
      accept_retry_->expires_after(std::chrono::milliseconds(accept_backoff_ms_));
      accept_retry_->async_wait([this, alive](boost::system::error_code ec2) {
        if (!ec2 && *alive) Accept();
      });
      return;
    }
    accept_backoff_ms_ = 0;
    if (inbound_.size() >= options_.max_inbound) {
      std::shared_ptr<Inbound> silent;
      for (auto& [ptr, weak] : inbound_) {
        auto in = weak.lock();
        if (in && (!silent || in->last_read < silent->last_read)) silent = in;
      }
      boost::system::error_code ignored;
      if (silent) silent->socket.close(ignored);
      inbound_.erase(silent.get());
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    SetKeepAlive(socket);
    auto in = std::make_shared<Inbound>(std::move(socket));
    inbound_[in.get()] = in;
    ReadFrom(in);
    Accept();
  });
}

void Transport::ReadFrom(const std::shared_ptr<Inbound>& in) {
  // Bulk reads: every complete frame in the buffer is delivered before the next read, so a node
  // steps all messages that arrived together and persists them with one fsync.
  constexpr size_t kReadChunk = 64 * 1024;
  if (in->used == 0 && in->buf.size() > 16 * kReadChunk) {
    std::string().swap(in->buf);  // a large frame is gone: give its space back
  }
  if (in->buf.size() - in->used < kReadChunk) {
    in->buf.resize(std::max(in->buf.size() * 2, in->used + kReadChunk));
  }
  in->socket.async_read_some(
      asio::buffer(in->buf.data() + in->used, in->buf.size() - in->used),
      [this, alive = alive_, in](boost::system::error_code ec, size_t n) {
        if (!*alive) return;
        in->used += n;
        in->last_read = std::chrono::steady_clock::now();
        if (ec) {
          boost::system::error_code ignored;
          in->socket.close(ignored);
          inbound_.erase(in.get());
          return;
        }
        size_t off = 0;
        while (in->used - off >= 4) {
          const auto* h = reinterpret_cast<const unsigned char*>(in->buf.data() + off);
          const size_t len =
              size_t{h[0]} | size_t{h[1]} << 8 | size_t{h[2]} << 16 | size_t{h[3]} << 24;
          if (len > options_.max_frame_bytes) {
            SB_LOG(kWarn, "transport") << "frame of " << len << " bytes refused; closing";
            boost::system::error_code ignored;
            in->socket.close(ignored);
            inbound_.erase(in.get());
            return;
          }
          if (in->used - off - 4 < len) break;
          raft::Message m;
          if (raft::DecodeMessage(std::string_view(in->buf.data() + off + 4, len), &m)) {
            on_message_(std::move(m));
          } else {
            SB_LOG(kWarn, "transport") << "undecodable frame of " << len << " bytes";
          }
          off += 4 + len;
          if (!*alive) return;
        }
        if (off > 0) {
          std::memmove(in->buf.data(), in->buf.data() + off, in->used - off);
          in->used -= off;
        }
        ReadFrom(in);
      });
}

void Transport::SetPeer(raft::NodeId id, const std::string& address) {
  auto it = peers_.find(id);
  if (it != peers_.end()) {
    if (it->second->address == address) return;
    RemovePeer(id);
  }
  peers_[id] = std::make_shared<Peer>(ioc_, id, address);
}

void Transport::RemovePeer(raft::NodeId id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  auto peer = it->second;
  peers_.erase(it);
  peer->removed = true;
  ++peer->generation;
  boost::system::error_code ignored;
  peer->socket.close(ignored);
  peer->timer.cancel();
}

void Transport::Send(const raft::Message& m) {
  auto it = peers_.find(m.to);
  if (it == peers_.end() || closed_) {
    ++dropped_;
    return;
  }
  auto& peer = it->second;
  if (peer->state == Peer::State::kBackoff) {
    ++dropped_;
    return;
  }
  std::string frame(4, '\0');  // the length prefix, filled in below
  raft::AppendMessage(m, &frame);
  const bool bulk = m.type == raft::MessageType::kApp || m.type == raft::MessageType::kSnap;
  size_t& bytes = bulk ? peer->queued_bytes : peer->control_bytes;
  const size_t limit = bulk ? options_.max_queue_bytes : kMaxControlBytes;
  if (bytes + frame.size() > limit) {
    ++dropped_;
    return;
  }
  const uint32_t n = static_cast<uint32_t>(frame.size() - 4);
  frame[0] = static_cast<char>(n);
  frame[1] = static_cast<char>(n >> 8);
  frame[2] = static_cast<char>(n >> 16);
  frame[3] = static_cast<char>(n >> 24);
  bytes += frame.size();
  (bulk ? peer->queue : peer->control).push_back(std::move(frame));
  if (peer->state == Peer::State::kIdle) {
    Connect(peer);
  } else if (peer->state == Peer::State::kConnected) {
    Flush(peer);
  }
}

void Transport::Connect(const std::shared_ptr<Peer>& peer) {
  peer->state = Peer::State::kConnecting;
  const uint64_t gen = ++peer->generation;
  auto hp = SplitHostPort(peer->address);
  boost::system::error_code ec;
  tcp::resolver resolver(ioc_);
  tcp::resolver::results_type endpoints;
  if (hp.ok()) {
    endpoints =
        resolver.resolve(hp->first, std::to_string(hp->second), tcp::resolver::numeric_service, ec);
  }
  if (!hp.ok() || ec) {
    SB_LOG(kWarn, "transport") << "cannot resolve peer address " << peer->address;
    Fail(peer);
    return;
  }
  peer->socket = tcp::socket(ioc_);
  // A SYN dropped by a partition would otherwise be retried by the kernel for minutes.
  peer->timer.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  peer->timer.async_wait([this, alive = alive_, peer, gen](boost::system::error_code ec2) {
    if (ec2 || !*alive || peer->removed || gen != peer->generation) return;
    if (peer->state == Peer::State::kConnecting) Fail(peer);
  });
  asio::async_connect(
      peer->socket, endpoints,
      [this, alive = alive_, peer, gen](boost::system::error_code ec2, const tcp::endpoint&) {
        if (!*alive || peer->removed || gen != peer->generation) return;
        if (ec2) {
          Fail(peer);
          return;
        }
        peer->timer.cancel();
        boost::system::error_code ignored;
        peer->socket.set_option(tcp::no_delay(true), ignored);
        SetUserTimeout(peer->socket, options_.user_timeout_ms);
        peer->state = Peer::State::kConnected;
        peer->backoff_ms = 0;
        // We never expect bytes back; a completed read means the connection is
        // gone.
        peer->socket.async_read_some(
            asio::buffer(&peer->probe, 1),
            [this, alive = alive_, peer, gen](boost::system::error_code, size_t) {
              if (!*alive || peer->removed || gen != peer->generation) return;
              Fail(peer);
            });
        Flush(peer);
      });
}

void Transport::Flush(const std::shared_ptr<Peer>& peer) {
  if (peer->write_in_flight || (peer->queue.empty() && peer->control.empty())) return;
  // Every control frame, then entries up to about kMaxBulkWriteBytes (at least one frame): the
  // next heartbeat waits for at most that much ahead of it.
  peer->writing.assign(std::make_move_iterator(peer->control.begin()),
                       std::make_move_iterator(peer->control.end()));
  peer->control.clear();
  peer->control_bytes = 0;
  size_t bulk = 0;
  while (!peer->queue.empty() &&
         (bulk == 0 || bulk + peer->queue.front().size() <= kMaxBulkWriteBytes)) {
    bulk += peer->queue.front().size();
    peer->queued_bytes -= peer->queue.front().size();
    peer->writing.push_back(std::move(peer->queue.front()));
    peer->queue.pop_front();
  }
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(peer->writing.size());
  for (const std::string& f : peer->writing) buffers.push_back(asio::buffer(f));
  peer->write_in_flight = true;
  const uint64_t gen = peer->generation;
  asio::async_write(peer->socket, buffers,
                    [this, alive = alive_, peer, gen](boost::system::error_code ec, size_t) {
                      peer->write_in_flight = false;
                      peer->writing.clear();
                      if (!*alive || peer->removed || gen != peer->generation) return;
                      if (ec) {
                        Fail(peer);
                        return;
                      }
                      Flush(peer);
                    });
}

void Transport::Fail(const std::shared_ptr<Peer>& peer) {
  ++peer->generation;
  boost::system::error_code ignored;
  peer->socket.close(ignored);
  dropped_ += peer->queue.size() + peer->control.size();
  peer->queue.clear();
  peer->queued_bytes = 0;
  peer->control.clear();
  peer->control_bytes = 0;
  peer->state = Peer::State::kBackoff;
  peer->backoff_ms =
      std::clamp(peer->backoff_ms * 2, options_.backoff_min_ms, options_.backoff_max_ms);
  peer->timer.expires_after(std::chrono::milliseconds(peer->backoff_ms));
  const uint64_t gen = peer->generation;
  peer->timer.async_wait([this, alive = alive_, peer, gen](boost::system::error_code ec) {
    if (ec || !*alive || peer->removed || gen != peer->generation) return;
    peer->state = Peer::State::kIdle;  // the next Send reconnects
  });
}

void Transport::Close() {
  if (closed_) return;
  closed_ = true;
  *alive_ = false;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  if (accept_retry_) accept_retry_->cancel();
  for (auto& [id, peer] : peers_) {
    peer->socket.close(ignored);
    peer->timer.cancel();
  }
  for (auto& [ptr, weak] : inbound_) {
    if (auto in = weak.lock()) in->socket.close(ignored);
  }
  inbound_.clear();
}

}  // namespace splitbrain::node
