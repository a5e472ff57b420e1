// Client: the synchronous C++ client of one splitbrain-node (docs/CONTRACTS.md, "Node client
// API"). One Client per logical process; it keeps one HTTP/1.1 keep-alive connection to the node
// it currently talks to and gives every call its own deadline. Not thread-safe: one thread uses
// a Client at a time (give each worker its own).
//
// Outcomes are three-valued (DESIGN.md): kOk applied / served, kFail certainly not applied,
// kUnknown may or may not have been applied. A transport error is kFail when it happened before
// the request was completely sent (nothing the node could act on), kUnknown after.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/outcome.h"

namespace splitbrain::node {

// The three-valued outcome is the records' (records/outcome.h), shared by every part.
using records::Outcome;
using records::OutcomeName;  // "ok", "fail", "unknown"

// What a call came back with.
struct Reply {
  Outcome outcome = Outcome::kUnknown;
  int http_status = 0;        // 0 when no HTTP answer was read (transport error or deadline)
  nlohmann::json value;       // the node's `value` (null when absent)
  std::string error;          // the node's `error`, or the transport error; empty when none
  std::string leader;         // the leader's id as the node knows it; empty when unknown
  std::string leader_client;  // the leader's client address "host:port"; empty when unknown
  nlohmann::json body;        // the whole JSON answer (null when none could be read)

  bool ok() const { return outcome == Outcome::kOk; }
  // True when the node refused because it is not the leader (421) and named the leader.
  bool redirect() const { return http_status == 421 && !leader_client.empty(); }
};

class Client {
 public:
  // `address` is the node's client address, "host:port" (for example "127.0.0.1:7101").
  explicit Client(std::string address);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& address() const { return address_; }
  // Points the client at another node (closes the current connection).
  void SetAddress(std::string address);
  // Sends "Authorization: Bearer <token>" with every call from now on (a node started with
  // --admin-token-file wants it on /admin/*); empty: none.
  void SetAdminToken(std::string token) { admin_token_ = std::move(token); }

  // POST /command with `command` (which carries "op" and its fields, and optionally "client"
  // and "seq" for exactly-once). No retry, no redirect following: the caller decides.
  Reply Command(const nlohmann::json& command, std::chrono::milliseconds deadline);

  // GET /status. kOk with the status object in `body`, else kFail/kUnknown with `error`.
  Reply Status(std::chrono::milliseconds deadline);

  // Administration (POST /admin/...).
  Reply AddMember(const std::string& id, const std::string& peer, const std::string& client,
                  bool voter, std::chrono::milliseconds deadline);
  Reply RemoveMember(const std::string& id, std::chrono::milliseconds deadline);
  Reply Snapshot(std::chrono::milliseconds deadline);
  Reply TransferLeadership(const std::string& to, std::chrono::milliseconds deadline);

  // Any call: `method` "GET" or "POST", `body` sent as JSON when not null.
  Reply Call(const std::string& method, const std::string& target, const nlohmann::json& body,
             std::chrono::milliseconds deadline);

  // Closes the connection (the next call opens a new one).
  void Close();

 private:
  struct Impl;
  std::string address_;
  std::string admin_token_;  // empty: no Authorization header
  std::unique_ptr<Impl> impl_;
};

// Maps an HTTP status and JSON answer to an outcome, as CONTRACTS.md says: the body's
// "outcome" when present, else 200 ok, 504 unknown, other statuses fail. Exposed for tests.
Outcome OutcomeFromAnswer(int http_status, const nlohmann::json& body);

// Splits "host:port"; InvalidArgument naming the text when it is not one.
Result<std::pair<std::string, uint16_t>> SplitHostPort(const std::string& text);

// An address without a host ("7101" or ":7101") means loopback: "127.0.0.1:7101". Anything
// else is returned as it is (listening on every interface takes saying so: "0.0.0.0:7101").
std::string DefaultHostToLoopback(const std::string& text);

}  // namespace splitbrain::node
