// HttpServer: the node's client API endpoint (HTTP/1.1 + JSON over Boost.Beast). It parses
// requests and hands them to one handler, which answers through a Respond callback — at once or
// later (after a commit). Keep-alive; one request at a time per connection.
// Runs on the caller's io_context; every method must be called from that io_context's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "common/status.h"

namespace splitbrain::node {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/command"
  std::string body;
};

// Answers a request. Call it exactly once; calling it after the connection closed is harmless.
using Respond = std::function<void(int status, const nlohmann::json& body)>;

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest, Respond)>;
  HttpServer(boost::asio::io_context& ioc, Handler handler);
  ~HttpServer();
  Status Listen(const std::string& address);  // "host:port"
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace splitbrain::node
