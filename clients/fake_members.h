// FakeMembers: HTTP/1.1 servers on 127.0.0.1 (real sockets, ephemeral ports) standing in for a
// system's members in the clients' tests. Each request is answered by the test's handler and
// recorded, in arrival order, with the member it reached. For tests only (target
// splitbrain_clients_testing). Thread-safe: connections are served on threads of their own, so
// the handler must be thread-safe too.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "workloads/client.h"

namespace splitbrain::clients {

class FakeMembers {
 public:
  struct Request {
    std::string member;   // "n1"
    std::string target;   // "/command", "/v3/kv/range"
    nlohmann::json body;  // null when empty or not JSON
  };
  struct Answer {
    int status = 200;  // with its usual reason phrase
    std::string body;  // sent as application/json
  };
  // Answers a request that reached member `member` (0-based).
  using Handler = std::function<Answer(size_t member, const Request& request)>;

  // Members n1..n<count>, listening at once.
  FakeMembers(int count, Handler handler);
  ~FakeMembers();
  FakeMembers(const FakeMembers&) = delete;
  FakeMembers& operator=(const FakeMembers&) = delete;

  const std::vector<workloads::NodeAddress>& addresses() const { return addresses_; }
  // The requests so far, in order; cleared by each call.
  std::vector<Request> TakeRequests();

 private:
  void Accept(size_t i);
  // Answers requests on one keep-alive connection until the client closes it.
  void Serve(size_t i, boost::asio::ip::tcp::socket& s);

  Handler handler_;
  boost::asio::io_context ioc_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::vector<workloads::NodeAddress> addresses_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> accept_threads_;
  std::mutex mu_;
  std::vector<std::thread> conn_threads_;  // GUARDED_BY(mu_)
  std::vector<int> open_fds_;              // GUARDED_BY(mu_)
  std::vector<Request> requests_;          // GUARDED_BY(mu_)
};

// A port on 127.0.0.1 that nobody listens on (bound, then closed): a member that refuses
// every connection.
int ClosedPort();

}  // namespace splitbrain::clients
