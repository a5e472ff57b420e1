#include "clients/fake_members.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace splitbrain::clients {

using boost::asio::ip::tcp;

namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 421:
      return "Misdirected Request";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
  }
  return "Status";
}

}  // namespace

FakeMembers::FakeMembers(int count, Handler handler) : handler_(std::move(handler)) {
  for (int i = 0; i < count; ++i) {
    acceptors_.push_back(std::make_unique<tcp::acceptor>(
        ioc_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)));
    addresses_.push_back(
        {"n" + std::to_string(i + 1),
         "127.0.0.1:" + std::to_string(acceptors_.back()->local_endpoint().port())});
  }
  for (size_t i = 0; i < acceptors_.size(); ++i) {
    accept_threads_.emplace_back([this, i] { Accept(i); });
  }
}

FakeMembers::~FakeMembers() {
  stop_ = true;
  for (const auto& a : acceptors_) {
    // Wakes the blocked accept().
    tcp::socket s(ioc_);
    boost::system::error_code ec;
    s.connect(a->local_endpoint(), ec);
  }
  for (auto& t : accept_threads_) t.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : conn_threads_) t.join();
}

std::vector<FakeMembers::Request> FakeMembers::TakeRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(requests_, {});
}

void FakeMembers::Accept(size_t i) {
  while (true) {
    boost::system::error_code ec;
    tcp::socket s(ioc_);
    acceptors_[i]->accept(s, ec);
    if (stop_ || ec) return;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(s.native_handle());
    conn_threads_.emplace_back(
        [this, i, sock = std::make_shared<tcp::socket>(std::move(s))] { Serve(i, *sock); });
  }
}

void FakeMembers::Serve(size_t i, tcp::socket& s) {
  boost::asio::streambuf buf;
  while (true) {
    boost::system::error_code ec;
    boost::asio::read_until(s, buf, "\r\n\r\n", ec);
    if (ec) return;
    std::string data{boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data())};
    const size_t head_end = data.find("\r\n\r\n") + 4;
    size_t len = 0;
    if (auto cl = data.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
      len = std::stoul(data.substr(cl + 16));
    }
    if (buf.size() < head_end + len) {
      boost::asio::read(s, buf, boost::asio::transfer_exactly(head_end + len - buf.size()), ec);
      if (ec) return;
      data.assign(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
    }
    buf.consume(head_end + len);
    Request req;
    req.member = addresses_[i].id;
    // "POST /v3/kv/range HTTP/1.1": the target is the second word.
    const size_t sp = data.find(' ');
    req.target = data.substr(sp + 1, data.find(' ', sp + 1) - sp - 1);
    req.body = nlohmann::json::parse(data.substr(head_end, len), nullptr, false);
    if (req.body.is_discarded()) req.body = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
    }
    const Answer a = handler_(i, req);
    const std::string answer =
        "HTTP/1.1 " + std::to_string(a.status) + " " + Reason(a.status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(a.body.size()) +
        "\r\n\r\n" + a.body;
    boost::asio::write(s, boost::asio::buffer(answer), ec);
    if (ec) return;
  }
}

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace splitbrain::clients
