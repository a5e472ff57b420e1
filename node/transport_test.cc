#include "node/transport.h"

#include <thread>

#include <gtest/gtest.h>

#include "node/local_cluster.h"

namespace splitbrain::node {
namespace {

using namespace std::chrono_literals;

raft::Message Msg(raft::NodeId from, raft::NodeId to, uint64_t index) {
  raft::Message m;
  m.type = raft::MessageType::kApp;
  m.from = from;
  m.to = to;
  m.term = 3;
  m.index = index;
  raft::Entry e;
  e.index = index + 1;
  e.term = 3;
  e.data = std::string(100, 'x');
  m.entries.push_back(e);
  return m;
}

// Runs `ioc` until `done` or the deadline.
bool RunUntil(boost::asio::io_context& ioc, const std::function<bool()>& done,
              std::chrono::milliseconds deadline = 5s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < until) {
    ioc.restart();
    ioc.run_for(10ms);
  }
  return done();
}

TEST(Transport, DeliversInOrderOverItsOwnConnectionOnly) {
  boost::asio::io_context ioc;
  std::vector<raft::Message> at_a, at_b;
  Transport a(ioc, {}, [&](raft::Message m) { at_a.push_back(std::move(m)); });
  Transport b(ioc, {}, [&](raft::Message m) { at_b.push_back(std::move(m)); });
  const std::string addr_a = "127.0.0.1:" + std::to_string(FreePort());
  const std::string addr_b = "127.0.0.1:" + std::to_string(FreePort());
  ASSERT_TRUE(a.Listen(addr_a).ok());
  ASSERT_TRUE(b.Listen(addr_b).ok());
  a.SetPeer(2, addr_b);  // A knows B; B does not know A
  for (uint64_t i = 0; i < 500; ++i) a.Send(Msg(1, 2, i));
  ASSERT_TRUE(RunUntil(ioc, [&] { return at_b.size() == 500; }));
  for (uint64_t i = 0; i < 500; ++i) {
    EXPECT_EQ(at_b[i], Msg(1, 2, i)) << i;
  }
  // B cannot answer over the connection A opened: without its own route to A it drops.
  b.Send(Msg(2, 1, 0));
  RunUntil(
      ioc, [] { return false; }, 200ms);
  EXPECT_TRUE(at_a.empty());
  EXPECT_EQ(b.dropped(), 1u);
  // With its own route it reaches A.
  b.SetPeer(1, addr_a);
  b.Send(Msg(2, 1, 7));
  ASSERT_TRUE(RunUntil(ioc, [&] { return at_a.size() == 1; }));
  EXPECT_EQ(at_a[0], Msg(2, 1, 7));
}

TEST(Transport, FramesLargerThanAReadArriveWholeAmongSmallOnes) {
  // A frame spans many 64 KiB reads (the receive buffer grows for it, then is given back) and
  // small frames before and after it share reads: each arrives whole, in order.
  boost::asio::io_context ioc;
  std::vector<raft::Message> at_b;
  Transport a(ioc, {}, [](raft::Message) {});
  Transport b(ioc, {}, [&](raft::Message m) { at_b.push_back(std::move(m)); });
  const std::string addr_b = "127.0.0.1:" + std::to_string(FreePort());
  ASSERT_TRUE(b.Listen(addr_b).ok());
  a.SetPeer(2, addr_b);
  std::vector<raft::Message> sent;
  for (uint64_t i = 0; i < 40; ++i) {
    raft::Message m = Msg(1, 2, i);
    if (i % 10 == 3)
      m.entries[0].data = std::string((3 << 20) + i * 4099, static_cast<char>('a' + i));
    if (i % 10 == 7) m.entries[0].data = std::string(70000 + i, static_cast<char>('A' + i));
    sent.push_back(m);
    a.Send(m);
  }
  ASSERT_TRUE(RunUntil(
      ioc, [&] { return at_b.size() == sent.size(); }, 20s));
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(at_b[i], sent[i]) << i;
}

TEST(Transport, ReconnectsAfterThePeerRestarts) {
  boost::asio::io_context ioc;
  std::vector<raft::Message> at_b;
  Transport a(ioc, {}, [](raft::Message) {});
  const std::string addr_b = "127.0.0.1:" + std::to_string(FreePort());
  a.SetPeer(2, addr_b);
  {
    Transport b(ioc, {}, [&](raft::Message m) { at_b.push_back(std::move(m)); });
    ASSERT_TRUE(b.Listen(addr_b).ok());
    a.Send(Msg(1, 2, 1));
    ASSERT_TRUE(RunUntil(ioc, [&] { return at_b.size() == 1; }));
    b.Close();
  }
  // B is down: sends fail and are dropped, then B comes back and A reconnects (with backoff).
  Transport b2(ioc, {}, [&](raft::Message m) { at_b.push_back(std::move(m)); });
  ASSERT_TRUE(b2.Listen(addr_b).ok());
  ASSERT_TRUE(RunUntil(ioc, [&] {
    a.Send(Msg(1, 2, 2));  // Raft resends (heartbeats) all the time; so does this loop
    return at_b.size() >= 2;
  }));
  EXPECT_EQ(at_b.back().index, 2u);
}

}  // namespace
}  // namespace splitbrain::node
