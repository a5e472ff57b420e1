// HttpServer with pipelined requests (RFC 9112 9.3.2): requests sent back to back on one
// connection all reach the handler without waiting for the earlier answers, up to the in-flight
// cap; the answers go out in the order the requests came whatever order they are given in; a
// request asking to close, or one refused as too large, ends the pipeline after the answers
// before it; the idle timeout never cuts a connection the node still owes answers to. Each test
// runs with the connections on the caller's thread and on a thread of their own.
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>

#include "node/http_server.h"
#include "node/test_util.h"

namespace splitbrain::node {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::HandlerLoop;

std::string Request(int i, bool close = false) {
  const std::string body = json{{"i", i}}.dump();
  return "POST /command HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
         std::string(close ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Answer {
  int status = 0;
  bool close = false;
  json body;
};

// A blocking client socket with a receive timeout.
class Raw {
 public:
  explicit Raw(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    timeval tv{0, 200 * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Raw() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads answers until `n` are in, the peer closes (*closed) or `within` passes.
  std::vector<Answer> Read(size_t n, std::chrono::milliseconds within, bool* closed = nullptr) {
    std::vector<Answer> out;
    const auto end = std::chrono::steady_clock::now() + within;
    if (closed) *closed = false;
    while (out.size() < n || closed) {
      while (TakeOne(&out)) {
      }
      if (out.size() >= n && !closed) break;
      if (std::chrono::steady_clock::now() > end) break;
      char buf[4096];
      const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r == 0) {
        while (TakeOne(&out)) {
        }
        if (closed) *closed = true;
        break;
      }
      if (r > 0) in_.append(buf, static_cast<size_t>(r));
    }
    return out;
  }

 private:
  bool TakeOne(std::vector<Answer>* out) {
    const size_t end = in_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::string head = in_.substr(0, end);
    const size_t cl = head.find("Content-Length: ");
    if (cl == std::string::npos) return false;
    const size_t len = std::stoul(head.substr(cl + 16));
    if (in_.size() < end + 4 + len) return false;
    Answer a;
    a.status = std::stoi(head.substr(9, 3));
    a.close = head.find("Connection: close") != std::string::npos;
    a.body = json::parse(in_.substr(end + 4, len), nullptr, false);
    out->push_back(std::move(a));
    in_.erase(0, end + 4 + len);
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
};

// The handler holds every request (on the loop's thread) until the test answers it.
struct Held {
  int i;
  Respond respond;
};

class HttpPipeline : public ::testing::TestWithParam<bool> {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.own_thread = GetParam();
    server_ =
        std::make_unique<HttpServer>(loop_.ioc(), options, [this](HttpRequest r, Respond respond) {
          json b = json::parse(r.body, nullptr, false);
          held_.push_back(Held{b.is_object() ? b.value("i", -1) : -1, std::move(respond)});
          ++handled_;
        });
    ASSERT_TRUE(server_->Listen("127.0.0.1:0").ok());
  }
  void TearDown() override {
    loop_.Run([&] {
      held_.clear();
      server_.reset();
    });
  }
  // How many requests the handler has been given, once that number has stayed put for 300 ms
  // (or reached `want`).
  int HandledSettled(int want, std::chrono::milliseconds within = 5s) {
    const auto end = std::chrono::steady_clock::now() + within;
    int last = -1;
    auto since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end) {
      const int h = loop_.Run([&] { return handled_; });
      if (h == want) return h;
      if (h != last) {
        last = h;
        since = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - since > 300ms) {
        return h;
      }
      std::this_thread::sleep_for(10ms);
    }
    return last;
  }
  // Answers the held requests whose `i` is in `which` (all when empty), in the order given.
  void AnswerHeld(std::vector<int> order) {
    loop_.Run([&] {
      for (int i : order) {
        auto it = std::find_if(held_.begin(), held_.end(), [i](const Held& h) { return h.i == i; });
        if (it == held_.end()) continue;
        Respond r = std::move(it->respond);
        held_.erase(it);
        r(200, json{{"i", i}});
      }
      return 0;
    });
  }

  HandlerLoop loop_;
  std::unique_ptr<HttpServer> server_;
  std::vector<Held> held_;  // the loop's thread
  int handled_ = 0;         // the loop's thread
};

TEST_P(HttpPipeline, PipelinedRequestsAllReachTheHandlerAndAreAnsweredInOrder) {
  Start();
  Raw c(server_->port());
  ASSERT_TRUE(c.connected());
  std::string all;
  for (int i = 0; i < 10; ++i) all += Request(i);
  ASSERT_TRUE(c.Send(all));
  // All ten are handed over while none is answered (one at a time, only the first would be).
  ASSERT_EQ(HandledSettled(10), 10);
  AnswerHeld({9, 7, 8, 5, 6, 3, 4, 1, 2, 0});  // the first last
  auto answers = c.Read(10, 5s);
  ASSERT_EQ(answers.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(answers[static_cast<size_t>(i)].status, 200);
    EXPECT_EQ(answers[static_cast<size_t>(i)].body["i"], i) << "answer " << i << " out of order";
  }
  // The connection is still usable, one request at a time.
  ASSERT_TRUE(c.Send(Request(10)));
  ASSERT_EQ(HandledSettled(11), 11);
  AnswerHeld({10});
  answers = c.Read(1, 5s);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].body["i"], 10);
}

TEST_P(HttpPipeline, AnAnswerGivenEarlyWaitsForTheOnesBeforeIt) {
  Start();
  Raw c(server_->port());
  ASSERT_TRUE(c.Send(Request(0) + Request(1)));
  ASSERT_EQ(HandledSettled(2), 2);
  AnswerHeld({1});
  EXPECT_TRUE(c.Read(1, 500ms).empty()) << "the second answer went out before the first";
  AnswerHeld({0});
  auto answers = c.Read(2, 5s);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].body["i"], 0);
  EXPECT_EQ(answers[1].body["i"], 1);
}

TEST_P(HttpPipeline, ReadingWaitsAtTheInFlightCap) {
  Start();
  Raw c(server_->port());
  const int n = 100;
  std::string all;
  for (int i = 0; i < n; ++i) all += Request(i);
  ASSERT_TRUE(c.Send(all));
  EXPECT_EQ(HandledSettled(n, 3s), 64) << "requests in flight on one connection are capped";
  std::vector<int> first(64);
  for (int i = 0; i < 64; ++i) first[static_cast<size_t>(i)] = i;
  AnswerHeld(first);
  ASSERT_EQ(HandledSettled(n), n) << "reading resumes as answers go out";
  std::vector<int> rest;
  for (int i = 64; i < n; ++i) rest.push_back(i);
  AnswerHeld(rest);
  auto answers = c.Read(n, 5s);
  ASSERT_EQ(answers.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(answers[static_cast<size_t>(i)].body["i"], i);
}

TEST_P(HttpPipeline, ConnectionCloseEndsThePipelineAfterItsAnswer) {
  Start();
  Raw c(server_->port());
  ASSERT_TRUE(c.Send(Request(0) + Request(1, /*close=*/true) + Request(2)));
  EXPECT_EQ(HandledSettled(3, 2s), 2) << "a request after `Connection: close` was handled";
  AnswerHeld({1, 0});
  bool closed = false;
  auto answers = c.Read(2, 5s, &closed);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].body["i"], 0);
  EXPECT_FALSE(answers[0].close);
  EXPECT_EQ(answers[1].body["i"], 1);
  EXPECT_TRUE(answers[1].close);
  EXPECT_TRUE(closed);
}

TEST_P(HttpPipeline, ATooLargeRequestIsRefusedAfterTheAnswersBeforeIt) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  Start(o);
  Raw c(server_->port());
  ASSERT_TRUE(
      c.Send(Request(0) + "POST /command HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\nxxxx"));
  ASSERT_EQ(HandledSettled(1), 1);
  EXPECT_TRUE(c.Read(1, 300ms).empty()) << "the refusal went out before the answer before it";
  AnswerHeld({0});
  bool closed = false;
  auto answers = c.Read(2, 5s, &closed);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[0].body["i"], 0);
  EXPECT_EQ(answers[1].status, 413);
  EXPECT_TRUE(closed);
}

TEST_P(HttpPipeline, TheIdleTimeoutNeverCutsAConnectionOwedAnAnswer) {
  HttpServerOptions o;
  o.idle_timeout_ms = 300;
  Start(o);
  Raw c(server_->port());
  ASSERT_TRUE(c.Send(Request(0)));
  ASSERT_EQ(HandledSettled(1), 1);
  std::this_thread::sleep_for(900ms);  // three idle timeouts while the answer is owed
  AnswerHeld({0});
  auto answers = c.Read(1, 5s);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].body["i"], 0);
  // Idle from the answer on: closed within about the idle timeout.
  const auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  c.Read(1, 3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

INSTANTIATE_TEST_SUITE_P(Threads, HttpPipeline, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("OwnThread") : std::string("CallersThread");
                         });

}  // namespace
}  // namespace splitbrain::node
