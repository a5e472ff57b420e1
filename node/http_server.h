// HttpServer: the node's client API endpoint (HTTP/1.1 + JSON over Boost.Beast). It parses
// requests and hands them to one handler, which answers through a Respond callback — at once or
// later (after a commit). Keep-alive; requests may be pipelined (answered in order, up to 64 or
// max_body_bytes of bodies unanswered on a connection).
// Clients are not trusted (node/README.md, "Threat model"): every wait on a client has a deadline
// (idle, header, body, writing the answer), bodies are bounded (413), connections are capped below
// the descriptor limit (the longest-idle one makes room), and a failing accept (EMFILE) backs off
// instead of spinning.
// Runs on the caller's io_context, or with HttpServerOptions::own_thread on a thread of its own
// that hands each request to the handler on the caller's io_context; either way every method
// and the handler run on the caller's io_context's thread.
#pragma once

#include <cstddef>
#include <cstdint>
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
  // The connections (accepting, reading and parsing requests, writing answers) run on a thread
  // of the server's own; each request is handed to the handler on the caller's io_context and
  // its answer handed back. Off: everything on the caller's io_context.
  bool own_thread = false;
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
// With own_thread, call it on the handler's thread (it hands the answer to the server's).
using Respond = std::function<void(int status, nlohmann::json body)>;

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, Respond)>;
  HttpServer(boost::asio::io_context& ioc, HttpServerOptions options, Handler handler);
  // Closes, and with own_thread joins the server's thread.
  ~HttpServer();
  Status Listen(const std::string& address);  // "host:port"
  // Stops accepting and closes every connection (done when it returns, also with own_thread);
  // requests handed over and not answered yet are answered into closed connections.
  void Close();
  // The connection cap in force (max_connections bounded by the descriptor limit).
  int max_connections() const;
  // The port listened on (the one chosen when Listen was given port 0); 0 before Listen.
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace splitbrain::node
