#include "node/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "node/client.h"

namespace splitbrain::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServer::Handler* handler, std::shared_ptr<bool> alive)
      : stream_(std::move(socket)), handler_(handler), alive_(std::move(alive)) {}

  void Read() {
    req_ = {};
    parser_.emplace();
    parser_->body_limit(64 << 20);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec || !*alive_) {
      Close();
      return;
    }
    req_ = parser_->release();
    keep_alive_ = req_.keep_alive();
    HttpRequest r{std::string(req_.method_string()), std::string(req_.target()),
                  std::move(req_.body())};
    auto self = shared_from_this();
    auto answered = std::make_shared<bool>(false);
    (*handler_)(std::move(r), [self, answered](int status, const nlohmann::json& body) {
      if (*answered) return;
      *answered = true;
      self->Write(status, body);
    });
  }

  void Write(int status, const nlohmann::json& body) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->result(static_cast<unsigned>(status));
    res->version(11);
    res->set(http::field::content_type, "application/json");
    res->set(http::field::server, "splitbrain-node");
    res->keep_alive(keep_alive_);
    res->body() = body.dump() + "\n";
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !self->keep_alive_ || !*self->alive_) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> req_;
  bool keep_alive_ = true;
  const HttpServer::Handler* handler_;
  std::shared_ptr<bool> alive_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& ioc, Handler h) : ioc(ioc), handler(std::move(h)), acceptor(ioc) {}
  asio::io_context& ioc;
  Handler handler;
  tcp::acceptor acceptor;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  void Accept() {
    acceptor.async_accept([this, alive = alive](beast::error_code ec, tcp::socket socket) {
      if (!*alive) return;
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), &handler, alive)->Read();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(asio::io_context& ioc, Handler handler)
    : impl_(new Impl(ioc, std::move(handler))) {}

HttpServer::~HttpServer() { Close(); }

Status HttpServer::Listen(const std::string& address) {
  SB_ASSIGN_OR_RETURN(auto hp, SplitHostPort(address));
  beast::error_code ec;
  auto ip = asio::ip::make_address(hp.first, ec);
  if (ec)
    return Status::InvalidArgument("client listen address '" + address + "': " + ec.message());
  tcp::endpoint ep(ip, hp.second);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("listening on " + address + ": " + ec.message());
  impl_->Accept();
  return Status::Ok();
}

void HttpServer::Close() {
  if (!*impl_->alive) return;
  *impl_->alive = false;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace splitbrain::node
