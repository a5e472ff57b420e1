// HttpServer with its connections on a thread of their own (HttpServerOptions::own_thread): every
// request reaches the handler on the caller's io_context thread and its answer goes back to the
// connection it came on, whenever and on whatever connection it is given; closing or destroying
// the server with requests still unanswered, and answering them afterwards, is harmless.
#include "node/http_server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "node/client.h"
#include "node/test_util.h"

namespace splitbrain::node {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::HandlerLoop;

std::string LoopbackAddress(const HttpServer& server) {
  return "127.0.0.1:" + std::to_string(server.port());
}

TEST(HttpServerOwnThread, EveryRequestIsHandledOnTheCallersThreadAndAnsweredOnItsConnection) {
  HandlerLoop loop;
  std::atomic<int> off_thread{0};
  std::atomic<int> handled{0};
  HttpServerOptions options;
  options.own_thread = true;
  auto server = loop.Run([&] {
    auto s = std::make_unique<HttpServer>(loop.ioc(), options, [&](HttpRequest req, Respond r) {
      if (std::this_thread::get_id() != loop.id()) ++off_thread;
      ++handled;
      json body = json::parse(req.body);
      // Every other request is answered later, from a timer, as a write is after its commit.
      if (body["n"].get<int>() % 2 == 0) return r(200, {{"outcome", "ok"}, {"value", body["n"]}});
      auto timer = std::make_shared<boost::asio::steady_timer>(loop.ioc(), 1ms);
      timer->async_wait([timer, r = std::move(r), n = body["n"]](auto) {
        r(200, {{"outcome", "ok"}, {"value", n}});
      });
    });
    EXPECT_TRUE(s->Listen("127.0.0.1:0").ok());
    return s;
  });
  ASSERT_NE(server->port(), 0);
  const std::string address = LoopbackAddress(*server);

  constexpr int kClients = 8;
  constexpr int kCalls = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(address);
      for (int i = 0; i < kCalls; ++i) {
        const int n = c * kCalls + i;
        Reply reply = client.Call("POST", "/echo", {{"n", n}}, 5s);
        if (!reply.ok() || reply.value != n) ++wrong;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(handled.load(), kClients * kCalls);
  EXPECT_EQ(off_thread.load(), 0) << "the handler ran off the caller's io_context thread";
  loop.Run([&] {
    server.reset();
    return 0;
  });
}

TEST(HttpServerOwnThread, UnansweredRequestsSurviveCloseAndTheServersEndAndAnswerIntoNothing) {
  HandlerLoop loop;
  std::mutex mu;
  std::vector<Respond> held;  // answers never given while the server lives
  HttpServerOptions options;
  options.own_thread = true;
  auto server = loop.Run([&] {
    auto s = std::make_unique<HttpServer>(loop.ioc(), options, [&](HttpRequest, Respond r) {
      std::lock_guard<std::mutex> lock(mu);
      held.push_back(std::move(r));
    });
    EXPECT_TRUE(s->Listen("127.0.0.1:0").ok());
    return s;
  });
  const std::string address = LoopbackAddress(*server);

  // Four clients wait on answers that do not come; the server is closed under them.
  std::vector<std::future<Reply>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::async(std::launch::async, [address] {
      Client client(address);
      return client.Call("POST", "/hang", {{"i", 1}}, 10s);
    }));
  }
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (held.size() == 4) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(held.size(), 4u);
  }
  const auto closed_at = std::chrono::steady_clock::now();
  loop.Run([&] {
    server->Close();
    return 0;
  });
  for (auto& f : waiting) {
    Reply reply = f.get();
    EXPECT_FALSE(reply.ok());
    EXPECT_EQ(reply.http_status, 0) << "no answer was given, yet one arrived";
  }
  // The clients learned at once that the connection closed: they did not wait out their 10 s.
  EXPECT_LT(std::chrono::steady_clock::now() - closed_at, 5s);
  // A refused connection after Close: nothing listens.
  Client late(address);
  EXPECT_EQ(late.Call("POST", "/x", {{"i", 1}}, 2s).http_status, 0);

  // Two answers given after Close, then the server destroyed, then the last two given and
  // every Respond dropped on the caller's thread: no crash, no leak (the sanitized build).
  loop.Run([&] {
    held[0](200, {{"outcome", "ok"}});
    held[1](200, {{"outcome", "ok"}});
    server.reset();
    held[2](200, {{"outcome", "ok"}});
    held[3](200, {{"outcome", "ok"}});
    held.clear();
    return 0;
  });
}

TEST(HttpServerOwnThread, ServerDestroyedWithRequestsStillQueuedForTheHandler) {
  // The handler's thread is busy while requests arrive, so they wait in its queue; the server is
  // destroyed before they run. They must not reach the (gone) handler.
  HandlerLoop loop;
  std::atomic<int> handled{0};
  HttpServerOptions options;
  options.own_thread = true;
  auto server = loop.Run([&] {
    auto s =
        std::make_unique<HttpServer>(loop.ioc(), options, [&](HttpRequest, Respond) { ++handled; });
    EXPECT_TRUE(s->Listen("127.0.0.1:0").ok());
    return s;
  });
  const std::string address = LoopbackAddress(*server);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // The handler's thread blocks; the server's end is queued behind that, and the requests
  // handed over meanwhile behind the end.
  boost::asio::post(loop.ioc(), [released] { released.wait(); });
  boost::asio::post(loop.ioc(), [&server] { server.reset(); });
  std::vector<std::future<Reply>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::async(std::launch::async, [address] {
      Client client(address);
      return client.Call("POST", "/queued", {{"i", 1}}, 10s);
    }));
  }
  std::this_thread::sleep_for(300ms);  // the requests are read and handed over meanwhile
  release.set_value();
  for (auto& f : waiting) EXPECT_EQ(f.get().http_status, 0);
  EXPECT_EQ(loop.Run([&] { return server == nullptr; }), true);
  EXPECT_EQ(handled.load(), 0);
}

}  // namespace
}  // namespace splitbrain::node
