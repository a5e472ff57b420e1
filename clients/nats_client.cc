#include "clients/nats_client.h"

#include <algorithm>
#include <mutex>
#include <optional>

#include "clients/retry.h"

namespace splitbrain::clients {
using nlohmann::json;
using records::Outcome;
using records::Refusal;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace nats {

int64_t Replicas(size_t members) {
  if (members >= 5) return 5;
  return static_cast<int64_t>(std::min<size_t>(members, 3));
}

records::Reply PublishReply(natsStatus status, jsErrCode js_error, bool acked,
                            const std::string& text) {
  records::Reply r;
  if (status == NATS_OK && acked) {
    r.outcome = Outcome::kOk;
    return r;
  }
  const std::string why = std::string(natsStatus_GetText(status)) +
                          (js_error ? " (JetStream error " + std::to_string(js_error) + ")" : "") +
                          (text.empty() ? "" : ": " + text);
  if (status == NATS_NO_RESPONDERS || js_error != 0)
    return records::Reply::Refused(Refusal::kMember, why);
  r.outcome = Outcome::kUnknown;
  r.error = why;
  return r;
}

}  // namespace nats

namespace {

constexpr char kStream[] = "queue";
constexpr char kSubject[] = "queue";

// libnats's process-wide state (its threads, its timers) opens once; nats_Close would end it
// for every client at once, so it is left to process exit.
void OpenLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { nats_Open(-1); });
}

std::string LastErrorText() {
  const char* t = nats_GetLastError(nullptr);
  return t ? t : "";
}

class NatsClient : public workloads::Client {
 public:
  NatsClient(std::vector<workloads::NodeAddress> members, size_t slot,
             workloads::Placement placement, uint64_t seed)
      : members_(std::move(members)),
        picker_(placement, members_.size(), slot, seed),
        current_(picker_.home()) {
    OpenLibrary();
  }
  ~NatsClient() override { Disconnect(); }

  records::Reply Send(const json& command, milliseconds timeout) override {
    const auto deadline = SteadyClock::now() + timeout;
    const std::string op = command.value("op", "");
    current_ = picker_.Start(current_) % members_.size();
    if (op == "queue-read" && command.contains("reader") && command["reader"].is_number_integer() &&
        command["reader"].get<int64_t>() >= 0) {
      current_ = static_cast<size_t>(command["reader"].get<int64_t>()) % members_.size();
    }
    if (op == "enqueue") {
      const std::string data = command.value("value", json()).dump();
      return Retrying(deadline, [&](milliseconds left) { return Publish(data, left); });
    }
    if (op == "queue-create")
      return Retrying(deadline, [&](milliseconds left) { return Create(left); });
    if (op == "queue-read")
      return Retrying(deadline, [&](milliseconds left) { return Read(left); });
    return records::Reply::Refused(Refusal::kInvalid,
                                   "the nats adapter has no translation for op '" + op + "'");
  }

 private:
  // Runs `attempt` on the current member by the one retry policy: after a refusal that certainly
  // changed nothing, on the next member.
  template <typename F>
  records::Reply Retrying(SteadyClock::time_point deadline, F attempt) {
    return SendWithRetry(
        deadline, members_.size(), &current_,
        [&](size_t member, milliseconds left) {
          records::Reply r;
          if (Status s = Connect(member, left); !s.ok()) {
            // Nothing was sent: no connection carries it.
            r = records::Reply::Refused(Refusal::kMember, s.message());
          } else {
            r = attempt(left);
          }
          r.node = members_[member].id;
          return r;
        },
        /*leader_of=*/nullptr, "deadline passed before any member answered");
  }

  // A live connection to members_[member], made anew when the one there is another member's or
  // closed.
  Status Connect(size_t member, milliseconds left) {
    if (conn_ && connected_to_ == member &&
        natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED) {
      return Status::Ok();
    }
    Disconnect();
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) return Status::Internal("natsOptions_Create failed");
    const std::string url = "nats://" + members_[member].client;
    natsOptions_SetURL(opts, url.c_str());
    // No reconnection: libnats would buffer publishes while reconnecting and send them later,
    // behind the operation's back.
    natsOptions_SetAllowReconnect(opts, false);
    natsOptions_SetTimeout(opts, std::clamp<int64_t>(left.count(), 1, 1000));
    natsStatus s = natsConnection_Connect(&conn_, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
      conn_ = nullptr;
      return Status::Unavailable("connect to " + url + ": " + natsStatus_GetText(s));
    }
    s = natsConnection_JetStream(&js_, conn_, nullptr);
    if (s != NATS_OK) {
      Disconnect();
      return Status::Internal(std::string("JetStream context: ") + natsStatus_GetText(s));
    }
    connected_to_ = member;
    return Status::Ok();
  }

  void Disconnect() {
    if (js_) jsCtx_Destroy(js_);
    js_ = nullptr;
    if (conn_) natsConnection_Destroy(conn_);
    conn_ = nullptr;
  }

  records::Reply Publish(const std::string& data, milliseconds left) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = std::max<int64_t>(1, left.count());
    po.MsgId = data.c_str();  // the value: JetStream drops a second copy within its window
    po.ExpectStream = kStream;
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s =
        js_Publish(&ack, js_, kSubject, data.data(), static_cast<int>(data.size()), &po, &jerr);
    records::Reply r =
        nats::PublishReply(s, jerr, ack != nullptr, s == NATS_OK ? "" : LastErrorText());
    if (ack) {
      r.value = {{"seq", ack->Sequence}, {"duplicate", ack->Duplicate}};
      jsPubAck_Destroy(ack);
    }
    if (r.outcome == Outcome::kUnknown) Disconnect();  // a fresh process gets a fresh connection
    return r;
  }

  records::Reply Create(milliseconds left) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = kStream;
    const char* subjects[] = {kSubject};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = nats::Replicas(members_.size());
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = std::max<int64_t>(1, left.count());
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&info, js_, &cfg, &jo, &jerr);
    if (info) jsStreamInfo_Destroy(info);
    records::Reply r;
    if (s == NATS_OK || jerr == JSStreamNameExistErr) {
      r.outcome = Outcome::kOk;  // the same stream again is no change
      return r;
    }
    // A stream that may have been created is found by the next try (the same config is ok).
    return records::Reply::Refused(
        Refusal::kMember, std::string("add stream: ") + natsStatus_GetText(s) +
                              (jerr ? " (JetStream error " + std::to_string(jerr) + ")" : ""));
  }

  // The whole stream in order, through an ephemeral pull consumer that acknowledges nothing.
  // Reads change nothing: any failure is a fail (the retry policy tries the next member). A
  // stream JetStream keeps saying does not exist reads as empty.
  records::Reply Read(milliseconds left) {
    const auto deadline = SteadyClock::now() + left;
    auto fail = [&](const std::string& what, natsStatus s, jsErrCode jerr) {
      Disconnect();
      return records::Reply::Refused(
          Refusal::kMember, what + ": " + natsStatus_GetText(s) +
                                (jerr ? " (JetStream error " + std::to_string(jerr) + ")" : ""));
    };
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = std::max<int64_t>(1, left.count());
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, js_, kStream, &jo, &jerr);
    if (s != NATS_OK && jerr == JSStreamNotFoundErr) {
      // JetStream's own answer: no such stream. It was created before the first publish, so
      // either it was lost (a power loss took its files) or a meta leader just elected has not
      // yet restored it (seen: "not found" ~1.5 s after every member was killed and restarted,
      // the stream back with all its messages a moment later). Only an answer that holds for
      // nats::kStreamGoneAfter reads as an empty log; until then the read fails (it is retried).
      const auto now = SteadyClock::now();
      if (!not_found_since_) not_found_since_ = now;
      if (now - *not_found_since_ >= nats::kStreamGoneAfter) {
        records::Reply gone;
        gone.outcome = Outcome::kOk;
        gone.value = json::array();
        return gone;
      }
      return fail("stream info (not found for less than " +
                      std::to_string(nats::kStreamGoneAfter.count()) + " s yet)",
                  s, jerr);
    }
    not_found_since_.reset();
    if (s != NATS_OK) return fail("stream info", s, jerr);
    const uint64_t msgs = info->State.Msgs;
    const uint64_t last_seq = info->State.LastSeq;
    jsStreamInfo_Destroy(info);
    records::Reply r;
    r.outcome = Outcome::kOk;
    r.value = json::array();
    if (msgs == 0) return r;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = kStream;
    so.Config.AckPolicy = js_AckNone;
    so.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription* sub = nullptr;
    s = js_PullSubscribe(&sub, js_, kSubject, nullptr, &jo, &so, &jerr);
    if (s != NATS_OK) return fail("pull subscribe", s, jerr);
    bool done = false;
    uint64_t last_read = 0;  // the stream sequence of the last message read
    while (!done) {
      const int64_t wait = TimeLeft(deadline).count();
      if (wait <= 0) {
        natsSubscription_Destroy(sub);
        return fail("read", NATS_TIMEOUT, static_cast<jsErrCode>(0));
      }
      natsMsgList list{};
      s = natsSubscription_Fetch(&list, sub, 1000, wait, &jerr);
      if (s != NATS_OK) {
        natsSubscription_Destroy(sub);
        return fail("fetch", s, jerr);
      }
      for (int i = 0; i < list.Count; ++i) {
        natsMsg* m = list.Msgs[i];
        std::string data(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
        json v = json::parse(data, nullptr, false);
        // Something that is not a value the workload sends is kept as its text: the checker
        // calls it unexpected.
        r.value.push_back(v.is_discarded() ? json(data) : v);
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
          // Done when the consumer has nothing more for us and we are past the last sequence the
          // stream reported before the read began: a consumer that says "nothing pending" short
          // of that is not believed (the fetch then runs out of time and the read fails).
          last_read = meta->Sequence.Stream;
          if (meta->NumPending == 0 && last_read >= last_seq) done = true;
          jsMsgMetaData_Destroy(meta);
        }
      }
      natsMsgList_Destroy(&list);
    }
    natsSubscription_Unsubscribe(sub);  // deletes the ephemeral consumer
    natsSubscription_Destroy(sub);
    return r;
  }

  std::vector<workloads::NodeAddress> members_;
  workloads::NodePicker picker_;
  size_t current_;
  natsConnection* conn_ = nullptr;  // null: not connected
  jsCtx* js_ = nullptr;             // null exactly when conn_ is
  size_t connected_to_ = 0;         // the member conn_ is to
  // When this client's reads began to find no stream, without another answer since; empty:
  // the last read found it (or none asked yet).
  std::optional<SteadyClock::time_point> not_found_since_;
};

}  // namespace

std::unique_ptr<workloads::Client> NewNatsClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed) {
  return std::make_unique<NatsClient>(std::move(members), slot, placement, seed);
}

}  // namespace splitbrain::clients
