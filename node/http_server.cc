#include "node/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <list>
#include <mutex>
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
  // Answers given on the handler's thread wait here for the server's: one post (one wake-up of
  // the server's thread) carries every answer given until it runs, and each connection then
  // writes all of its answers that are ready in one write.
  struct Given {
    std::shared_ptr<Session> session;
    uint64_t seq;
    int status;
    nlohmann::json body;
  };
  std::mutex mu;
  std::vector<Given> outbox;  // GUARDED_BY(mu)
  bool drain_posted = false;  // GUARDED_BY(mu)
  void Give(Given g);
  void Drain();
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
  uint64_t seq = 0;       // the request's number on its connection
  bool answered = false;  // the handler's thread only
  ~Reply() {
    if (session && io) asio::post(io->ioc, [s = std::move(session)] {});
  }
};

// A deadline that moves at every request without a system call. Arming an asio timer, cancelling
// it and arming it again for every request made the reactor re-program its timerfd about once a
// request on the client thread (timerfd_settime, 0.9 a request at 8 clients): here the timer is
// armed for an instant no later than the deadline and, when it fires, finds the deadline passed
// (and runs `on_expire`), gone (and stops) or moved later (and waits again until then). Clearing
// or moving a deadline later touches only two fields; only a deadline earlier than the armed
// instant re-arms the timer.
class LazyDeadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LazyDeadline(const asio::any_io_executor& ex) : timer_(ex) {}

  // `keep` (the session) lives until the timer's wait ends; Cancel ends it at once.
  template <class Keep, class OnExpire>
  void Set(Clock::time_point at, Keep keep, OnExpire on_expire) {
    deadline_ = at;
    if (!armed_ || at < timer_.expiry()) Wait(std::move(keep), std::move(on_expire));
  }
  void Clear() { deadline_ = Clock::time_point::max(); }
  void Cancel() {
    Clear();
    armed_ = false;
    ++gen_;
    timer_.cancel();
  }

 private:
  template <class Keep, class OnExpire>
  void Wait(Keep keep, OnExpire on_expire) {
    armed_ = true;
    timer_.expires_at(deadline_);  // a wait still pending ends as aborted and is ignored
    timer_.async_wait([this, keep = std::move(keep), on_expire = std::move(on_expire),
                       gen = ++gen_](beast::error_code ec) mutable {
      if (gen != gen_) return;  // re-armed or cancelled since
      armed_ = false;
      if (ec || deadline_ == Clock::time_point::max()) return;
      if (Clock::now() >= deadline_) return on_expire();
      Wait(std::move(keep), std::move(on_expire));
    });
  }

  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool armed_ = false;
  uint64_t gen_ = 0;
};

// One connection. Requests are pipelined (RFC 9112 9.3.2): while earlier ones wait for their
// answers the next are read and handed over, up to kMaxInFlight requests or max_body_bytes of
// bodies unanswered (then reading waits); answers are written in the order the requests came,
// every answer that is ready at once in one write. A client that sends one request at a time
// sees no difference.
class Session : public std::enable_shared_from_this<Session> {
 public:
  static constexpr size_t kMaxInFlight = 64;

  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)),
        read_deadline_(stream_.get_executor()),
        write_deadline_(stream_.get_executor()),
        shared_(std::move(shared)) {}

  // Waits for the next request: its first byte within the idle timeout. Not while a read is in
  // progress, nor at the in-flight cap (resumed as answers go out).
  void Read() {
    if (!open_ || stop_reading_ || reading_) return;
    if (answers_.size() >= kMaxInFlight || in_flight_bytes_ >= shared_->options.max_body_bytes) {
      return;
    }
    reading_ = true;
    state_ = State::kIdle;
    idle_since_ = std::chrono::steady_clock::now();
    if (buffer_.size() > 0) {  // pipelined: the next request is already here
      ReadHeader();
      return;
    }
    ArmReadTimer(shared_->options.idle_timeout_ms);
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
    read_deadline_.Cancel();
    write_deadline_.Cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  bool open() const { return open_; }
  // Open, no request unanswered and none begun: a connection that can be closed to make room.
  bool idle() const { return open_ && state_ == State::kIdle && answers_.empty(); }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

 private:
  enum class State { kIdle, kHeader, kBody };

  // An answer in the connection's order: filled in when the handler answers.
  struct Answer {
    std::string bytes;
    size_t request_bytes = 0;  // the request's body, counted against max_body_bytes until then
    bool ready = false;
    bool close_after = false;  // the last answer: the client asked to close, or a refusal
    bool linger = false;       // a refusal of a request not read whole: drain, then close
  };

  // The read's deadline (idle, header or body timeout; timers of the session's own, not Beast's,
  // whose deadline cannot change while a read is in progress): none while the node owes the
  // client answers — they come within the node's own request timeout — and counted afresh once
  // the last one is written, for the read still in progress then.
  void ArmReadTimer(int timeout_ms) {
    read_timeout_ms_ = timeout_ms;
    if (!answers_.empty()) {
      read_deadline_.Clear();
      return;
    }
    read_deadline_.Set(std::chrono::steady_clock::now() + milliseconds(timeout_ms),
                       shared_from_this(), [this] { Close(); });
  }

  void ReadHeader() {
    state_ = State::kHeader;
    parser_.emplace();
    parser_->header_limit(16 << 10);
    parser_->body_limit(shared_->options.max_body_bytes);
    ArmReadTimer(shared_->options.header_timeout_ms);
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
    ArmReadTimer(shared_->options.body_timeout_ms);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec2, size_t) {
                       if (!self->shared_->alive) return self->Close();
                       if (ec2 == http::error::body_limit) return self->RefuseTooLarge();
                       if (ec2) return self->Close();
                       self->OnRequest();
                     });
  }

  void OnRequest() {
    reading_ = false;
    read_deadline_.Clear();
    // A client that sends a request while another is unanswered, or sent more than this one,
    // pipelines: from then on its connection is read while answers are owed. Otherwise the next
    // read waits for the answer, as most clients send one request at a time: reading at once
    // would cost every request a read that finds nothing yet.
    if (!answers_.empty() || buffer_.size() > 0) pipelining_ = true;
    http::request<http::string_body> req = parser_->release();
    const bool keep_alive = req.keep_alive();
    HttpRequest r{std::string(req.method_string()), std::string(req.target()),
                  std::string(req[http::field::authorization]), std::move(req.body())};
    Answer a;
    a.request_bytes = r.body.size();
    a.close_after = !keep_alive;
    in_flight_bytes_ += a.request_bytes;
    answers_.push_back(std::move(a));
    const uint64_t seq = next_seq_++;
    state_ = State::kIdle;
    if (!keep_alive) stop_reading_ = true;  // nothing after it is read
    if (shared_->handler_ioc) {
      HandOver(std::move(r), seq);
    } else {
      auto self = shared_from_this();
      auto answered = std::make_shared<bool>(false);
      (*shared_->handler)(std::move(r), [self, answered, seq](int status, nlohmann::json body) {
        if (*answered) return;
        *answered = true;
        self->Respond(seq, status, body);
      });
    }
    if (pipelining_) Read();  // the next request, if the client sent one
  }

  // own_thread: the handler runs on its own io_context; the answer comes back here to be written.
  void HandOver(HttpRequest r, uint64_t seq) {
    auto reply = std::make_shared<Reply>();
    reply->session = shared_from_this();
    reply->io = shared_->io.lock();
    reply->seq = seq;
    if (!reply->io) return Close();  // the server is being destroyed
    asio::post(*shared_->handler_ioc, [shared = shared_, r = std::move(r), reply]() mutable {
      if (!shared->alive) return;  // closed meanwhile: *shared->handler may be gone
      (*shared->handler)(std::move(r), [reply](int status, nlohmann::json body) {
        if (reply->answered) return;
        reply->answered = true;
        reply->io->Give({reply->session, reply->seq, status, std::move(body)});
      });
    });
  }

  void RefuseTooLarge() {
    Refuse(413, "request body larger than " + std::to_string(shared_->options.max_body_bytes) +
                    " bytes (see --max-entry-bytes)");
  }

  // Answers a request that was not read whole (after the answers to the requests before it),
  // and closes the connection after.
  void Refuse(int status, const std::string& why) {
    stop_reading_ = true;
    reading_ = false;
    state_ = State::kIdle;
    Answer a;
    a.bytes = Format(status, {{"outcome", "fail"}, {"value", nullptr}, {"error", why}}, false);
    a.ready = true;
    a.close_after = true;
    a.linger = true;
    answers_.push_back(std::move(a));
    ++next_seq_;
    Flush();
  }

  // After refusing a request whose body is still arriving: stop sending and discard what comes
  // (up to the body timeout and 64 MiB), so the client reads the answer instead of a reset.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    ArmReadTimer(shared_->options.body_timeout_ms);
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

  // The answer is written out by hand (status line, four fields, the body): Beast's serializer
  // walked a chain of buffer views for every answer, a few per cent of the leader's CPU at
  // thousands of answers a second.
  static std::string Format(int status, const nlohmann::json& body, bool keep_alive) {
    std::string payload = body.dump();
    payload += '\n';
    std::string out;
    out.reserve(payload.size() + 160);
    out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ");
    out.append(http::obsolete_reason(static_cast<http::status>(status)));
    out.append("\r\nContent-Type: application/json\r\nServer: splitbrain-node\r\n");
    if (!keep_alive) out.append("Connection: close\r\n");
    out.append("Content-Length: ").append(std::to_string(payload.size())).append("\r\n\r\n");
    out.append(payload);
    return out;
  }

 public:
  // The handler's answer to request `seq`, written once every answer before it is (at once with
  // `flush`; else at the next Flush).
  void Respond(uint64_t seq, int status, const nlohmann::json& body, bool flush = true) {
    if (!open_ || seq < first_seq_ || seq - first_seq_ >= answers_.size()) return;
    Answer& a = answers_[seq - first_seq_];
    if (a.ready) return;
    a.bytes = Format(status, body, !a.close_after);
    a.ready = true;
    if (flush) Flush();
  }

  // Writes every answer that is ready from the front, in one write.
  void Flush() {
    if (!open_ || writing_) return;
    auto out = std::make_shared<std::string>();
    size_t n = 0;
    for (const Answer& a : answers_) {
      if (!a.ready) break;
      out->append(a.bytes);
      ++n;
      if (a.close_after) break;
    }
    if (n == 0) return;
    writing_ = true;
    // A client that does not read its answers does not hold the connection forever.
    write_deadline_.Set(
        std::chrono::steady_clock::now() + milliseconds(shared_->options.body_timeout_ms),
        shared_from_this(), [this] { Close(); });
    asio::async_write(stream_, asio::buffer(*out),
                      [self = shared_from_this(), out, n](beast::error_code ec, size_t) {
                        self->Written(ec, n);
                      });
  }

 private:
  void Written(beast::error_code ec, size_t n) {
    writing_ = false;
    write_deadline_.Clear();
    bool close = false, linger = false;
    for (size_t i = 0; i < n; ++i) {
      close = close || answers_.front().close_after;
      linger = linger || answers_.front().linger;
      in_flight_bytes_ -= answers_.front().request_bytes;
      answers_.pop_front();
      ++first_seq_;
    }
    if (!ec && linger && shared_->alive) return Linger();
    if (ec || close || !shared_->alive) return Close();
    if (!reading_) {
      Read();  // the next request (arms its own deadline)
    } else if (answers_.empty()) {
      ArmReadTimer(read_timeout_ms_);  // the read in progress: its deadline from now
    }
    Flush();
  }

  beast::tcp_stream stream_;  // Beast's own timeouts unused: the two deadlines below
  LazyDeadline read_deadline_;
  LazyDeadline write_deadline_;
  int read_timeout_ms_ = 0;  // of the read in progress
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<Answer> answers_;  // one for each request read and not yet answered, in order
  uint64_t first_seq_ = 0;      // the number of answers_.front()
  uint64_t next_seq_ = 0;       // the next request's number
  size_t in_flight_bytes_ = 0;  // request bodies not yet answered
  bool writing_ = false;
  bool reading_ = false;       // a read of a request is in progress
  bool pipelining_ = false;    // the client has sent a request before the last was answered
  bool stop_reading_ = false;  // the last request has been read (close asked, or refused)
  size_t discarded_ = 0;       // bytes drained while lingering
  bool open_ = true;
  State state_ = State::kIdle;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
  std::shared_ptr<Shared> shared_;
};

void IoThread::Give(Given g) {
  std::lock_guard<std::mutex> lock(mu);
  outbox.push_back(std::move(g));
  if (drain_posted) return;
  drain_posted = true;
  asio::post(ioc, [this] { Drain(); });
}

void IoThread::Drain() {
  std::vector<Given> batch;
  {
    std::lock_guard<std::mutex> lock(mu);
    batch.swap(outbox);
    drain_posted = false;
  }
  for (Given& g : batch) g.session->Respond(g.seq, g.status, g.body, /*flush=*/false);
  for (Given& g : batch) g.session->Flush();
}

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
