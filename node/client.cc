// Client over Boost.Beast. The connection is opened by an asynchronous connect on a private
// io_context (honouring the call's deadline); the request is then written by hand in one
// sendmsg and the answer read by Beast's synchronous parser on `DeadlineStream`, a blocking
// socket whose receive timeout (SO_RCVTIMEO) is kept at or below what is left until the deadline
// (Beast's own synchronous calls have none). The harness drives thousands of calls a second
// through this client, one thread each: asynchronous operations cost about 15 system calls a call
// (epoll_wait, timerfd_settime for every deadline, a speculative read), this about 3 (the peek
// below, sendmsg, a recv that sleeps until the answer: a poll(2) before each recv was one more,
// and Beast's request serializer cost more CPU than the request it wrote): harness/systems/
// README.md, Benchmark.
#include "node/client.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace splitbrain::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Outcome OutcomeFromAnswer(int http_status, const nlohmann::json& body) {
  if (body.is_object()) {
    auto it = body.find("outcome");
    if (it != body.end() && it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      if (s == "ok") return Outcome::kOk;
      if (s == "fail") return Outcome::kFail;
      if (s == "unknown") return Outcome::kUnknown;
    }
  }
  if (http_status == 200) return Outcome::kOk;
  if (http_status == 504) return Outcome::kUnknown;
  if (http_status >= 500 && http_status != 503) return Outcome::kUnknown;
  return Outcome::kFail;
}

Result<std::pair<std::string, uint16_t>> SplitHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("'" + text + "' is not host:port");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned long port = 0;
  for (size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return Status::InvalidArgument("'" + text + "': port is not a number");
    }
    port = port * 10 + static_cast<unsigned long>(text[i] - '0');
    if (port > 65535) return Status::InvalidArgument("'" + text + "': port out of range");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

std::string DefaultHostToLoopback(const std::string& text) {
  const std::string port = !text.empty() && text[0] == ':' ? text.substr(1) : text;
  const bool digits = !port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string::npos;
  return digits ? "127.0.0.1:" + port : text;
}

namespace {

// Whole milliseconds left until `until`, rounded up (a wait of 0 ms would spin to the deadline).
int64_t MillisLeft(std::chrono::steady_clock::time_point until) {
  const auto left = until - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  return std::min<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1,
                           int64_t{1} << 30);
}

// A SyncReadStream over a connected blocking socket: every read sleeps in recv(2) for at most
// what is left until `until`, then fails with beast::error::timeout. The socket's receive timeout
// is a system call to change, so it is changed only when it would outlast the deadline or fall
// far short of it (`*rcvtimeo_ms`, the value set on this socket; 0: none yet); a read woken by a
// shorter timeout looks at the clock and sleeps again.
class DeadlineStream {
 public:
  DeadlineStream(int fd, std::chrono::steady_clock::time_point until, int64_t* rcvtimeo_ms)
      : fd_(fd), until_(until), rcvtimeo_ms_(rcvtimeo_ms) {}

  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    ec = {};
    const asio::mutable_buffer b = *asio::buffer_sequence_begin(buffers);
    while (true) {
      const int64_t left = MillisLeft(until_);
      if (left <= 0) {
        ec = beast::error::timeout;
        return 0;
      }
      if (*rcvtimeo_ms_ == 0 || *rcvtimeo_ms_ > left || *rcvtimeo_ms_ * 2 < left) {
        timeval tv{static_cast<time_t>(left / 1000), static_cast<suseconds_t>(left % 1000 * 1000)};
        if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
          ec.assign(errno, boost::system::system_category());
          return 0;
        }
        *rcvtimeo_ms_ = left;
      }
      ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) {
        ec = asio::error::eof;
        return 0;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        ec.assign(errno, boost::system::system_category());
        return 0;
      }
    }
  }
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  int fd_;
  std::chrono::steady_clock::time_point until_;
  int64_t* rcvtimeo_ms_;
};

// Sends all of `data` without blocking, waiting in poll(2) (up to `until`) only when the socket's
// send buffer is full: a request fits it unless the node stopped reading (a paused node).
beast::error_code SendAll(int fd, std::string_view data,
                          std::chrono::steady_clock::time_point until) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return beast::error_code(errno, boost::system::system_category());
    }
    const int64_t left = MillisLeft(until);
    if (left <= 0) return beast::error::timeout;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) {
      return beast::error_code(errno, boost::system::system_category());
    }
  }
  return {};
}

}  // namespace

struct Client::Impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string request;      // the last request sent, kept for its capacity
  int64_t rcvtimeo_ms = 0;  // SO_RCVTIMEO set on stream's socket (DeadlineStream); 0: none

  void Close() {
    if (stream) {
      beast::error_code ec;
      stream->socket().shutdown(tcp::socket::shutdown_both, ec);
      stream->socket().close(ec);
      stream.reset();
    }
    buffer.consume(buffer.size());
  }

  // A kept-alive connection the node has closed meanwhile (restart, idle timeout) would turn
  // the next request into an unknown outcome; peek first so that it is replaced instead.
  bool StreamLooksAlive() {
    if (!stream || !stream->socket().is_open()) return false;
    char byte;
    ssize_t n = ::recv(stream->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;  // orderly close by the node
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    return false;  // unsolicited bytes: the stream is out of step, start over
  }

  template <typename Start>
  beast::error_code RunOp(Start start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

Client::Client(std::string address) : address_(std::move(address)), impl_(new Impl) {}
Client::~Client() { impl_->Close(); }

void Client::SetAddress(std::string address) {
  if (address == address_) return;
  impl_->Close();
  address_ = std::move(address);
}

void Client::Close() { impl_->Close(); }

Reply Client::Call(const std::string& method, const std::string& target, const nlohmann::json& body,
                   std::chrono::milliseconds deadline) {
  Reply reply;
  auto until = std::chrono::steady_clock::now() + deadline;
  auto fail = [&](Outcome outcome, const std::string& what) {
    impl_->Close();
    reply.outcome = outcome;
    reply.error = what;
    return reply;
  };

  if (!impl_->StreamLooksAlive()) {
    impl_->Close();
    auto hp = SplitHostPort(address_);
    if (!hp.ok()) return fail(Outcome::kFail, hp.status().message());
    tcp::resolver resolver(impl_->ioc);
    beast::error_code ec;
    auto endpoints =
        resolver.resolve(hp->first, std::to_string(hp->second), tcp::resolver::numeric_service, ec);
    if (ec) return fail(Outcome::kFail, "resolving " + address_ + ": " + ec.message());
    impl_->stream.emplace(impl_->ioc);
    impl_->stream->expires_at(until);
    ec = impl_->RunOp(
        [&](auto handler) { impl_->stream->async_connect(endpoints, std::move(handler)); });
    if (ec) {
      return fail(Outcome::kFail, "connecting to " + address_ + ": " +
                                      (ec == beast::error::timeout ? "deadline" : ec.message()));
    }
    impl_->stream->expires_never();
    beast::error_code ignored;
    impl_->stream->socket().set_option(tcp::no_delay(true), ignored);
    // Blocking: DeadlineStream's reads sleep in recv (SendAll does not block).
    impl_->stream->socket().non_blocking(false, ignored);
    impl_->rcvtimeo_ms = 0;
  }

  // The request, written out by hand: a handful of fixed fields, sent in one system call.
  std::string& req = impl_->request;
  req.clear();
  req.append(method == "GET" ? "GET " : "POST ").append(target).append(" HTTP/1.1\r\nHost: ");
  req.append(address_).append("\r\n");
  if (!admin_token_.empty())
    req.append("Authorization: Bearer ").append(admin_token_).append("\r\n");
  if (!body.is_null()) {
    std::string payload = body.dump();
    req.append("Content-Type: application/json\r\nContent-Length: ");
    req.append(std::to_string(payload.size())).append("\r\n\r\n").append(payload);
  } else {
    req.append(method == "GET" ? "\r\n" : "Content-Length: 0\r\n\r\n");
  }
  const int fd = impl_->stream->socket().native_handle();
  beast::error_code ec = SendAll(fd, req, until);
  if (ec) {
    // Not completely sent: the node cannot have acted on a partial request.
    return fail(Outcome::kFail, "sending to " + address_ + ": " +
                                    (ec == beast::error::timeout ? "deadline" : ec.message()));
  }

  DeadlineStream io(fd, until, &impl_->rcvtimeo_ms);
  http::response<http::string_body> res;
  http::read(io, impl_->buffer, res, ec);
  if (ec) {
    return fail(Outcome::kUnknown, "awaiting answer from " + address_ + ": " +
                                       (ec == beast::error::timeout ? "deadline" : ec.message()));
  }
  if (!res.keep_alive()) impl_->Close();

  reply.http_status = static_cast<int>(res.result_int());
  try {
    reply.body = nlohmann::json::parse(res.body());
  } catch (const std::exception& e) {
    reply.body = nullptr;
    reply.error = "answer from " + address_ + " is not JSON: " + e.what();
  }
  reply.outcome = OutcomeFromAnswer(reply.http_status, reply.body);
  if (reply.body.is_object()) {
    auto str = [&](const char* key) {
      auto it = reply.body.find(key);
      return it != reply.body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto v = reply.body.find("value");
    if (v != reply.body.end()) reply.value = *v;
    if (reply.error.empty()) reply.error = str("error");
    reply.leader = str("leader");
    reply.leader_client = str("leader_client");
  }
  return reply;
}

Reply Client::Command(const nlohmann::json& command, std::chrono::milliseconds deadline) {
  return Call("POST", "/command", command, deadline);
}

Reply Client::Status(std::chrono::milliseconds deadline) {
  return Call("GET", "/status", nullptr, deadline);
}

Reply Client::AddMember(const std::string& id, const std::string& peer, const std::string& client,
                        bool voter, std::chrono::milliseconds deadline) {
  return Call("POST", "/admin/add",
              {{"id", id}, {"peer", peer}, {"client", client}, {"voter", voter}}, deadline);
}

Reply Client::RemoveMember(const std::string& id, std::chrono::milliseconds deadline) {
  return Call("POST", "/admin/remove", {{"id", id}}, deadline);
}

Reply Client::Snapshot(std::chrono::milliseconds deadline) {
  return Call("POST", "/admin/snapshot", nlohmann::json::object(), deadline);
}

Reply Client::TransferLeadership(const std::string& to, std::chrono::milliseconds deadline) {
  return Call("POST", "/admin/transfer", {{"to", to}}, deadline);
}

}  // namespace splitbrain::node
