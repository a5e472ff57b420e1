#include "node/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <list>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"
#include "node/client.h"

namespace splitbrain::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

namespace {

class Session;

// The server's own thread and io_context (HttpServerOptions::own_thread). Held by the server and
// by every answer not yet given (Reply), so that an answer dropped on the handler's thread after
// the server is gone still has a queue to release its connection into.
struct IoThread {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
};

// What the server and its sessions share; outlives the server while handlers are queued.
struct Shared {
  HttpServerOptions options;
  const HttpServer::Handler* handler = nullptr;
  // Set false by Close on the handler's thread; read there and on the server's own thread.
  std::atomic<bool> alive{true};
  std::list<std::weak_ptr<Session>> sessions;  // every session not yet destroyed (server thread)
  // own_thread: where the handler runs, and the server's thread (not owned: no cycle through
  // the sessions its queue holds).
  asio::io_context* handler_ioc = nullptr;
  std::weak_ptr<IoThread> io;
};

// A request handed to the handler's thread (own_thread): the connection it came on, kept alive
// until answered, and released on the server's thread whatever thread drops the last Reply.
struct Reply {
  std::shared_ptr<Session> session;
  std::shared_ptr<IoThread> io;
  bool answered = false;  // the handler's thread only
  ~Reply() {
    if (session && io) asio::post(io->ioc, [s = std::move(session)] {});
  }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {}

  // Waits for the next request: its first byte within the idle timeout.
  void Read() {
    if (!open_) return;
    state_ = State::kIdle;
    idle_since_ = std::chrono::steady_clock::now();
    if (buffer_.size() > 0) {  // pipelined: the next request is already here
      ReadHeader();
      return;
    }
    stream_.expires_after(milliseconds(shared_->options.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || !self->shared_->alive) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void Close() {
    if (!open_) return;
    open_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  bool open() const { return open_; }
  // Open and waiting for a request to begin: a connection that can be closed to make room.
  bool idle() const { return open_ && state_ == State::kIdle; }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

 private:
  enum class State { kIdle, kHeader, kBody, kHandling, kWriting };

  void ReadHeader() {
    state_ = State::kHeader;
    parser_.emplace();
    parser_->header_limit(16 << 10);
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(milliseconds(shared_->options.header_timeout_ms));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (!shared_->alive) return Close();
    if (ec == http::error::header_limit) return Refuse(431, "request header too large");
    // The parser checks an announced Content-Length against the limit with the header.
    if (ec == http::error::body_limit) return RefuseTooLarge();
    if (ec) return Close();
    auto length = parser_->content_length();
    if (length && *length > shared_->options.max_body_bytes) return RefuseTooLarge();
    if (parser_->is_done()) return OnRequest();
    state_ = State::kBody;
    stream_.expires_after(milliseconds(shared_->options.body_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec2, size_t) {
                       if (!self->shared_->alive) return self->Close();
                       if (ec2 == http::error::body_limit) return self->RefuseTooLarge();
                       if (ec2) return self->Close();
                       self->OnRequest();
                     });
  }

  void OnRequest() {
    state_ = State::kHandling;
    stream_.expires_never();  // the handler answers within the node's own request timeout
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    HttpRequest r{std::string(req.method_string()), std::string(req.target()),
                  std::string(req[http::field::authorization]), std::move(req.body())};
    if (shared_->handler_ioc) return HandOver(std::move(r));
    auto self = shared_from_this();
    auto answered = std::make_shared<bool>(false);
    (*shared_->handler)(std::move(r), [self, answered](int status, nlohmann::json body) {
      if (*answered) return;
      *answered = true;
      self->Write(status, body);
    });
  }

  // own_thread: the handler runs on its own io_context; the answer comes back here to be written.
  void HandOver(HttpRequest r) {
    auto reply = std::make_shared<Reply>();
    reply->session = shared_from_this();
    reply->io = shared_->io.lock();
    if (!reply->io) return Close();  // the server is being destroyed
    asio::post(*shared_->handler_ioc, [shared = shared_, r = std::move(r), reply]() mutable {
      if (!shared->alive) return;  // closed meanwhile: *shared->handler may be gone
      (*shared->handler)(std::move(r), [reply](int status, nlohmann::json body) {
        if (reply->answered) return;
        reply->answered = true;
        asio::post(reply->io->ioc, [s = reply->session, status, body = std::move(body)] {
          s->Write(status, body);
        });
      });
    });
  }

  void RefuseTooLarge() {
    Refuse(413, "request body larger than " + std::to_string(shared_->options.max_body_bytes) +
                    " bytes (see --max-entry-bytes)");
  }

  // Answers a request that was not read whole, and closes the connection after.
  void Refuse(int status, const std::string& why) {
    keep_alive_ = false;
    linger_ = true;
    Write(status, {{"outcome", "fail"}, {"value", nullptr}, {"error", why}});
  }

  // After refusing a request whose body is still arriving: stop sending and discard what comes
  // (up to the body timeout and 64 MiB), so the client reads the answer instead of a reset.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(milliseconds(shared_->options.body_timeout_ms));
    Discard();
  }
  void Discard() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 << 10),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->discarded_ += n;
                              if (ec || !self->shared_->alive || self->discarded_ > (64 << 20)) {
                                return self->Close();
                              }
                              self->Discard();
                            });
  }

  // The answer is written out by hand into one buffer (status line, four fields, the body) and
  // sent with one async_write: Beast's serializer walked a chain of buffer views for every answer,
  // a few per cent of the leader's CPU at thousands of answers a second.
  void Write(int status, const nlohmann::json& body) {
    if (!open_) return;
    state_ = State::kWriting;
    auto out = std::make_shared<std::string>();
    std::string payload = body.dump();
    payload += '\n';
    out->reserve(payload.size() + 160);
    out->append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
    out->append(http::obsolete_reason(static_cast<http::status>(status)));
    out->append("\r\nContent-Type: application/json\r\nServer: splitbrain-node\r\n");
    if (!keep_alive_) out->append("Connection: close\r\n");
    out->append("Content-Length: ").append(std::to_string(payload.size())).append("\r\n\r\n");
    out->append(payload);
    // A client that does not read its answer does not hold the connection forever.
    stream_.expires_after(milliseconds(shared_->options.body_timeout_ms));
    asio::async_write(stream_, asio::buffer(*out),
                      [self = shared_from_this(), out](beast::error_code ec, size_t) {
                        if (!ec && self->linger_ && self->shared_->alive) return self->Linger();
                        if (ec || !self->keep_alive_ || !self->shared_->alive) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool linger_ = false;   // refused mid-request: drain the rest before closing
  size_t discarded_ = 0;  // bytes drained while lingering
  bool open_ = true;
  State state_ = State::kIdle;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
  std::shared_ptr<Shared> shared_;
};

int DescriptorLimit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 1 << 30;
  return static_cast<int>(std::min<rlim_t>(r.rlim_cur, 1 << 30));
}

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& ioc, HttpServerOptions options, Handler h)
      : io(options.own_thread ? std::make_shared<IoThread>() : nullptr),
        handler(std::move(h)),
        acceptor(io ? io->ioc : ioc),
        retry(io ? io->ioc : ioc),
        shared(std::make_shared<Shared>()) {
    shared->options = options;
    shared->handler = &handler;
    cap = std::max(1, std::min(options.max_connections, DescriptorLimit() - kReservedDescriptors));
    if (io) {
      shared->handler_ioc = &ioc;
      shared->io = io;
      io->work.emplace(io->ioc.get_executor());
      io->thread = std::thread([io = io.get()] { io->ioc.run(); });
    }
  }
  ~Impl() {
    if (!io) return;
    io->work.reset();
    io->ioc.stop();
    io->thread.join();
  }
  // Runs `fn` on the connections' thread and waits for it (at once without own_thread).
  template <typename Fn>
  void OnServerThread(Fn fn) {
    if (!io) return fn();
    std::promise<void> done;
    asio::post(io->ioc, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }
  // Declared first, destroyed last: the acceptor, timer and sessions below belong to its
  // io_context.
  std::shared_ptr<IoThread> io;
  Handler handler;
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // accept's backoff after an error
  int backoff_ms = 0;
  int cap = 0;
  std::shared_ptr<Shared> shared;

  void Accept() {
    acceptor.async_accept([this, shared = shared](beast::error_code ec, tcp::socket socket) {
      if (!shared->alive) return;
      if (ec) {
        // EMFILE/ENFILE/ENOBUFS: the pending connection stays queued and accept would fail again
        // at once; wait instead of spinning.
        backoff_ms = std::clamp(backoff_ms * 2, 10, 1000);
        if (backoff_ms == 10) {
          SB_LOG(kWarn, "http") << "accept: " << ec.message() << "; backing off";
        }
        retry.expires_after(milliseconds(backoff_ms));
        retry.async_wait([this, shared](beast::error_code ec2) {
          if (!ec2 && shared->alive) Accept();
        });
        return;
      }
      backoff_ms = 0;
      if (MakeRoom()) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto session = std::make_shared<Session>(std::move(socket), shared);
        shared->sessions.push_back(session);
        session->Read();
      } else {
        beast::error_code ignored;
        socket.close(ignored);  // every connection is busy with a request: refuse this one
      }
      Accept();
    });
  }

  // Keeps open connections below the cap: closes the longest-idle one when at it. False when
  // every open connection is in the middle of a request.
  bool MakeRoom() {
    int open = 0;
    std::shared_ptr<Session> oldest_idle;
    for (auto it = shared->sessions.begin(); it != shared->sessions.end();) {
      auto s = it->lock();
      if (!s || !s->open()) {
        it = shared->sessions.erase(it);
        continue;
      }
      ++open;
      if (s->idle() && (!oldest_idle || s->idle_since() < oldest_idle->idle_since())) {
        oldest_idle = s;
      }
      ++it;
    }
    if (open < cap) return true;
    if (!oldest_idle) return false;
    oldest_idle->Close();
    return true;
  }
};

HttpServer::HttpServer(asio::io_context& ioc, HttpServerOptions options, Handler handler)
    : impl_(new Impl(ioc, options, std::move(handler))) {}

HttpServer::~HttpServer() { Close(); }

int HttpServer::max_connections() const { return impl_->cap; }

uint16_t HttpServer::port() const {
  uint16_t port = 0;
  impl_->OnServerThread([&] {
    beast::error_code ec;
    if (impl_->acceptor.is_open()) port = impl_->acceptor.local_endpoint(ec).port();
  });
  return port;
}

Status HttpServer::Listen(const std::string& address) {
  SB_ASSIGN_OR_RETURN(auto hp, SplitHostPort(address));
  beast::error_code ec;
  auto ip = asio::ip::make_address(hp.first, ec);
  if (ec)
    return Status::InvalidArgument("client listen address '" + address + "': " + ec.message());
  tcp::endpoint ep(ip, hp.second);
  impl_->OnServerThread([&] {
    impl_->acceptor.open(ep.protocol(), ec);
    if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl_->acceptor.bind(ep, ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) impl_->Accept();
  });
  if (ec) return Status::IoError("listening on " + address + ": " + ec.message());
  return Status::Ok();
}

void HttpServer::Close() {
  if (!impl_->shared->alive) return;
  impl_->shared->alive = false;
  impl_->OnServerThread([impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry.cancel();
    for (auto& weak : impl->shared->sessions) {
      if (auto s = weak.lock()) s->Close();
    }
    impl->shared->sessions.clear();
  });
}

}  // namespace splitbrain::node
