// HttpServer: the node's client API endpoint (HTTP/1.1 + JSON over Boost.Beast). It parses
// requests and hands them to one handler, which answers through a Respond callback — at once or
// later (after a commit). Keep-alive; one request at a time per connection.
// Clients are not trusted (node/README.md, "Threat model"): every wait on a client has a deadline
// (idle, header, body, writing the answer), bodies are bounded (413), connections are capped below
// the descriptor limit (the longest-idle one makes room), and a failing accept (EMFILE) backs off
// instead of spinning.
// Runs on the caller's io_context; every method must be called from that io_context's thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "common/status.h"

namespace splitbrain::node {

struct HttpServerOptions {
  size_t max_body_bytes = (1 << 20) + (64 << 10);  // a larger body is answered 413 and closed
  int idle_timeout_ms = 60000;    // a connection with no request begun is closed after this
  int header_timeout_ms = 10000;  // from a request's first byte to the end of its header
  int body_timeout_ms = 30000;    // from the end of the header to the end of the body; also the
                                  // time allowed to write an answer out
  int max_connections = 1000;     // open client connections, further capped by the descriptor
                                  // limit (RLIMIT_NOFILE minus kReservedDescriptors)
};

// Descriptors left to everything but client connections (storage, peers, the event log).
inline constexpr int kReservedDescriptors = 128;

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // "/command"
  std::string authorization;  // the Authorization header; empty when absent
  std::string body;
};

// Answers a request. Call it exactly once; calling it after the connection closed is harmless.
using Respond = std::function<void(int status, const nlohmann::json& body)>;

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, Respond)>;
  HttpServer(boost::asio::io_context& ioc, HttpServerOptions options, Handler handler);
  ~HttpServer();
  Status Listen(const std::string& address);  // "host:port"
  void Close();
  // The connection cap in force (max_connections bounded by the descriptor limit).
  int max_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace splitbrain::node
