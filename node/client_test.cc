#include "node/client.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio.hpp>

namespace splitbrain::node {
namespace {

using boost::asio::ip::tcp;
using namespace std::chrono_literals;

TEST(OutcomeFromAnswer, BodyOutcomeWinsThenStatus) {
  EXPECT_EQ(OutcomeFromAnswer(200, {{"outcome", "ok"}}), Outcome::kOk);
  EXPECT_EQ(OutcomeFromAnswer(409, {{"outcome", "fail"}}), Outcome::kFail);
  EXPECT_EQ(OutcomeFromAnswer(504, {{"outcome", "unknown"}}), Outcome::kUnknown);
  EXPECT_EQ(OutcomeFromAnswer(200, nullptr), Outcome::kOk);
  EXPECT_EQ(OutcomeFromAnswer(421, nullptr), Outcome::kFail);
  EXPECT_EQ(OutcomeFromAnswer(503, nullptr), Outcome::kFail);
  EXPECT_EQ(OutcomeFromAnswer(504, nullptr), Outcome::kUnknown);
  EXPECT_EQ(OutcomeFromAnswer(500, nullptr), Outcome::kUnknown);
}

TEST(SplitHostPort, ParsesAndRefuses) {
  auto hp = SplitHostPort("127.0.0.1:7101");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 7101);
  EXPECT_FALSE(SplitHostPort("127.0.0.1").ok());
  EXPECT_FALSE(SplitHostPort("127.0.0.1:x").ok());
  EXPECT_FALSE(SplitHostPort("127.0.0.1:70000").ok());
}

// A port nobody listens on: refused before anything was sent, so certainly not applied.
TEST(Client, RefusedConnectionIsFail) {
  boost::asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  Client client("127.0.0.1:" + std::to_string(port));
  Reply r = client.Command({{"op", "write"}, {"key", "x"}, {"value", 1}}, 500ms);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.http_status, 0);
}

// A server on 127.0.0.1 that accepts one connection and neither reads nor answers until it is
// destroyed. `receive_buffer` > 0: the accepted socket's receive buffer is held that small.
class MuteServer {
 public:
  explicit MuteServer(int receive_buffer = 0)
      : acceptor_(ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    if (receive_buffer > 0) {
      acceptor_.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
    }
    thread_ = std::thread([this] {
      tcp::socket s = acceptor_.accept();
      while (!done_) std::this_thread::sleep_for(5ms);
    });
  }
  ~MuteServer() {
    done_ = true;
    thread_.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

 private:
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// A server that reads the request and never answers: sent, so the outcome is unknown, and the
// deadline is honoured.
TEST(Client, SilentServerIsUnknownAtDeadline) {
  MuteServer server;
  Client client(server.address());
  auto start = std::chrono::steady_clock::now();
  Reply r = client.Command({{"op", "write"}, {"key", "x"}, {"value", 1}}, 200ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::kUnknown);
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

// A server that accepts and never reads: a request larger than the sockets' buffers (the
// server's held small) blocks in the middle of the write, and the deadline ends it there (not
// completely sent: fail).
TEST(Client, WriteBlockedByServerEndsAtDeadline) {
  MuteServer server(4096);
  Client client(server.address());
  auto start = std::chrono::steady_clock::now();
  Reply r =
      client.Command({{"op", "write"}, {"key", "x"}, {"value", std::string(8 << 20, 'v')}}, 200ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.error.find("sending to"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("deadline"), std::string::npos) << r.error;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 5s);  // the deadline, plus the 8 MB JSON text made (slow under ASan and load)
}

// An answer that arrives in three pieces, 50 ms apart, split inside the header and inside the
// body: the client waits for each and parses the whole.
TEST(Client, AnswerInPiecesIsWaitedFor) {
  boost::asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  std::thread server([&] {
    tcp::socket s = acceptor.accept();
    s.set_option(tcp::no_delay(true));
    boost::asio::streambuf buf;
    boost::asio::read_until(s, buf, "\r\n\r\n");
    const std::string body = R"({"outcome":"ok","value":42})";
    const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    for (auto [from, to] : {std::pair<size_t, size_t>{0, 20},
                            {20, answer.size() - 5},
                            {answer.size() - 5, answer.size()}}) {
      boost::asio::write(s, boost::asio::buffer(answer.substr(from, to - from)));
      std::this_thread::sleep_for(50ms);
    }
  });
  Client client("127.0.0.1:" + std::to_string(port));
  Reply r = client.Command({{"op", "read"}, {"key", "x"}}, 2s);
  server.join();
  EXPECT_EQ(r.outcome, Outcome::kOk) << r.error;
  EXPECT_EQ(r.value, 42);
}

// A canned answer: fields are picked out of the JSON, and the connection is kept for reuse.
TEST(Client, ParsesAnswerAndRedirect) {
  boost::asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  std::thread server([&] {
    tcp::socket s = acceptor.accept();
    for (int i = 0; i < 2; ++i) {
      boost::asio::streambuf buf;
      boost::asio::read_until(s, buf, "\r\n\r\n");
      std::string head{boost::asio::buffers_begin(buf.data()),
                       boost::asio::buffers_end(buf.data())};
      auto cl = head.find("Content-Length: ");
      size_t len = std::stoul(head.substr(cl + 16));
      size_t have = buf.size() - (head.find("\r\n\r\n") + 4);
      if (have < len) boost::asio::read(s, buf, boost::asio::transfer_exactly(len - have));
      std::string body =
          R"({"outcome":"fail","error":"not leader","leader":"n2","leader_client":"127.0.0.1:9"})";
      std::string answer =
          "HTTP/1.1 421 Misdirected Request\r\nContent-Type: application/json\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      boost::asio::write(s, boost::asio::buffer(answer));
    }
  });
  Client client("127.0.0.1:" + std::to_string(port));
  for (int i = 0; i < 2; ++i) {
    Reply r = client.Command({{"op", "write"}, {"key", "x"}, {"value", 1}}, 2s);
    EXPECT_EQ(r.outcome, Outcome::kFail);
    EXPECT_EQ(r.http_status, 421);
    EXPECT_TRUE(r.redirect());
    EXPECT_EQ(r.leader, "n2");
    EXPECT_EQ(r.leader_client, "127.0.0.1:9");
  }
  server.join();
}

}  // namespace
}  // namespace splitbrain::node
