// ClusterClient against fake nodes: real sockets on 127.0.0.1, each fake node answering /command
// as splitbrain-node does (the leader 200 ok, the others 421 naming the leader), and recording
// which node every request reached, in order.
#include "workloads/cluster_client.h"

#include <sys/socket.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio.hpp>

namespace splitbrain::workloads {
namespace {

using boost::asio::ip::tcp;
using namespace std::chrono_literals;

class FakeCluster {
 public:
  // `leader` < 0: every node answers ok itself (as nodes with stale-read serve reads).
  FakeCluster(int nodes, int leader) : leader_(leader) {
    for (int i = 0; i < nodes; ++i) {
      acceptors_.push_back(std::make_unique<tcp::acceptor>(
          ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)));
      addresses_.push_back(
          {"n" + std::to_string(i + 1),
           "127.0.0.1:" + std::to_string(acceptors_.back()->local_endpoint().port())});
    }
    for (int i = 0; i < nodes; ++i) accept_threads_.emplace_back([this, i] { Accept(i); });
  }

  ~FakeCluster() {
    stop_ = true;
    for (const auto& a : acceptors_) {
      // Wakes the blocked accept().
      tcp::socket s(ioc_);
      boost::system::error_code ec;
      s.connect(a->local_endpoint(), ec);
    }
    for (auto& t : accept_threads_) t.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : conn_threads_) t.join();
  }

  const std::vector<NodeAddress>& addresses() const { return addresses_; }
  void set_leader(int leader) { leader_ = leader; }
  // The node ids that requests reached, in order; cleared by each call.
  std::vector<std::string> TakeRequests() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(requests_, {});
  }

 private:
  void Accept(int i) {
    while (true) {
      boost::system::error_code ec;
      tcp::socket s(ioc_);
      acceptors_[i]->accept(s, ec);
      if (stop_ || ec) return;
      std::lock_guard<std::mutex> lock(mu_);
      open_fds_.push_back(s.native_handle());
      conn_threads_.emplace_back(
          [this, i, sock = std::make_shared<tcp::socket>(std::move(s))] { Serve(i, *sock); });
    }
  }

  // Answers requests on one keep-alive connection until the client closes it.
  void Serve(int i, tcp::socket& s) {
    boost::asio::streambuf buf;
    while (true) {
      boost::system::error_code ec;
      boost::asio::read_until(s, buf, "\r\n\r\n", ec);
      if (ec) return;
      std::string data{boost::asio::buffers_begin(buf.data()),
                       boost::asio::buffers_end(buf.data())};
      const size_t head_end = data.find("\r\n\r\n") + 4;
      size_t len = 0;
      if (auto cl = data.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
        len = std::stoul(data.substr(cl + 16));
      }
      if (buf.size() < head_end + len) {
        boost::asio::read(s, buf, boost::asio::transfer_exactly(head_end + len - buf.size()), ec);
        if (ec) return;
      }
      buf.consume(head_end + len);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(addresses_[i].id);
      }
      const int leader = leader_;
      std::string status, body;
      if (leader < 0 || leader == i) {
        status = "200 OK";
        body = R"({"outcome":"ok","value":null})";
      } else {
        status = "421 Misdirected Request";
        body = R"({"outcome":"fail","error":"not leader","leader":")" + addresses_[leader].id +
               R"(","leader_client":")" + addresses_[leader].client + R"("})";
      }
      const std::string answer =
          "HTTP/1.1 " + status +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body;
      boost::asio::write(s, boost::asio::buffer(answer), ec);
      if (ec) return;
    }
  }

  boost::asio::io_context ioc_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<NodeAddress> addresses_;
  std::atomic<int> leader_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> accept_threads_;
  std::mutex mu_;
  std::vector<std::thread> conn_threads_;  // GUARDED_BY(mu_)
  std::vector<int> open_fds_;              // GUARDED_BY(mu_)
  std::vector<std::string> requests_;      // GUARDED_BY(mu_)
};

const nlohmann::json kRead = {{"op", "read"}, {"key", "x"}};

std::string Answered(ClusterClient& c) {
  std::string by;
  node::Reply r = c.Send(kRead, 2s, &by);
  EXPECT_TRUE(r.ok()) << r.error;
  return by;
}

// Six clients on three nodes that all answer: each client's operations go to its own home node,
// so every node serves two clients.
TEST(ClusterClientPlacement, HomeSpreadsClientsRoundRobin) {
  FakeCluster cluster(3, -1);
  std::vector<std::unique_ptr<ClusterClient>> clients;
  for (size_t slot = 0; slot < 6; ++slot) {
    clients.push_back(
        std::make_unique<ClusterClient>(cluster.addresses(), slot, Placement::kHome, slot));
  }
  std::map<std::string, int> per_node;
  for (size_t slot = 0; slot < 6; ++slot) {
    for (int op = 0; op < 3; ++op) {
      const std::string by = Answered(*clients[slot]);
      EXPECT_EQ(by, "n" + std::to_string(slot % 3 + 1)) << "slot " << slot;
      per_node[by]++;
    }
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"n1", 6}, {"n2", 6}, {"n3", 6}}));
}

// The regression of issue 25: a client redirected to the leader used to stay there, so every
// client gathered on the leader and followers never served an operation. With home placement
// each operation starts at home again and the redirect holds for that operation only.
TEST(ClusterClientPlacement, HomeStartsEveryOperationAtHomeAndRedirectsWithinIt) {
  FakeCluster cluster(3, 2);
  ClusterClient c(cluster.addresses(), 0, Placement::kHome, 1);
  for (int op = 0; op < 3; ++op) {
    EXPECT_EQ(Answered(c), "n3");
    EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1", "n3"})) << "op " << op;
  }
  // The leader moves: the redirect follows it, and home is still where operations begin.
  cluster.set_leader(1);
  EXPECT_EQ(Answered(c), "n2");
  EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1", "n2"}));
  // Home is the leader: no redirect at all.
  cluster.set_leader(0);
  EXPECT_EQ(Answered(c), "n1");
  EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1"}));
}

// Leader placement keeps the old behaviour: after one redirect the client stays on the leader.
TEST(ClusterClientPlacement, LeaderStaysWhereTheRedirectLanded) {
  FakeCluster cluster(3, 2);
  ClusterClient c(cluster.addresses(), 0, Placement::kLeader, 1);
  EXPECT_EQ(Answered(c), "n3");
  EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1", "n3"}));
  for (int op = 0; op < 3; ++op) {
    EXPECT_EQ(Answered(c), "n3");
    EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n3"}));
  }
}

// Random placement: each operation starts at the node the seeded picker draws, whatever node
// the previous one ended on, and a redirect holds for that operation only.
TEST(ClusterClientPlacement, RandomStartsEachOperationWhereTheSeedSays) {
  FakeCluster cluster(3, 2);
  ClusterClient c(cluster.addresses(), 0, Placement::kRandom, 99);
  NodePicker expect(Placement::kRandom, 3, 0, 99);
  std::map<std::string, int> starts;
  for (int op = 0; op < 60; ++op) {
    const size_t start = expect.Start(0);
    EXPECT_EQ(Answered(c), "n3");
    auto reqs = cluster.TakeRequests();
    ASSERT_FALSE(reqs.empty());
    EXPECT_EQ(reqs.front(), "n" + std::to_string(start + 1)) << "op " << op;
    EXPECT_EQ(reqs.back(), "n3");
    EXPECT_EQ(reqs.size(), start == 2 ? 1u : 2u);
    starts[reqs.front()]++;
  }
  EXPECT_EQ(starts.size(), 3u);  // every node began some operation
}

}  // namespace
}  // namespace splitbrain::workloads
