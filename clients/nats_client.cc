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

const char* KvReadsName(KvReads reads) { return reads == KvReads::kLeader ? "leader" : "direct"; }

std::optional<KvReads> KvReadsFromName(const std::string& name) {
  if (name == "direct") return KvReads::kDirect;
  if (name == "leader") return KvReads::kLeader;
  return std::nullopt;
}

records::Reply KvWriteReply(natsStatus status, const std::string& text) {
  records::Reply r;
  if (status == NATS_OK) {
    r.outcome = Outcome::kOk;
    return r;
  }
  const std::string why =
      std::string(natsStatus_GetText(status)) + (text.empty() ? "" : ": " + text);
  if (status == NATS_ERR) {
    // JetStream's answer: nothing stored. 10071 is the only refusal that is the compare's.
    if (text.find("wrong last sequence") != std::string::npos)
      return records::Reply::Refused(Refusal::kState, "compare failed (" + why + ")");
    return records::Reply::Refused(Refusal::kMember, why);
  }
  if (status == NATS_NO_RESPONDERS) return records::Reply::Refused(Refusal::kMember, why);
  r.outcome = Outcome::kUnknown;
  r.error = why;
  return r;
}

}  // namespace nats

namespace {

constexpr char kStream[] = "queue";
constexpr char kSubject[] = "queue";
using nats::kBucket;

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
             workloads::Placement placement, uint64_t seed, nats::KvReads kv_reads)
      : members_(std::move(members)),
        picker_(placement, members_.size(), slot, seed),
        current_(picker_.home()),
        kv_reads_(kv_reads) {
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
    if (op == "read" || op == "write" || op == "cas") {
      if (!command.contains("key") || !command["key"].is_string()) {
        return records::Reply::Refused(Refusal::kInvalid,
                                       "command " + command.dump() + " has no string key");
      }
      const std::string key = command["key"].get<std::string>();
      if (op == "read")
        return Retrying(deadline, [&](milliseconds left) { return KvRead(key, left); });
      const std::string data = command.value("value", json()).dump();
      if (op == "write")
        return Retrying(deadline, [&](milliseconds left) { return KvWrite(key, data, left); });
      const json expected = command.value("expected", json());
      return Retrying(deadline,
                      [&](milliseconds left) { return KvCas(key, expected, data, left); });
    }
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
    // The KV calls take no per-call options: they wait the context's Wait, this operation's time.
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = std::max<int64_t>(1, left.count());
    s = natsConnection_JetStream(&js_, conn_, &jo);
    if (s != NATS_OK) {
      Disconnect();
      return Status::Internal(std::string("JetStream context: ") + natsStatus_GetText(s));
    }
    connected_to_ = member;
    return Status::Ok();
  }

  void Disconnect() {
    if (kv_) kvStore_Destroy(kv_);
    kv_ = nullptr;
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

  // kv_ bound to the bucket on this connection: made on the first register command (the same
  // bucket again is no change), else looked up. A fail when neither can be done.
  Status BindKv() {
    if (kv_) return Status::Ok();
    natsStatus s = NATS_OK;
    const std::string what =
        std::string("KV bucket '") + kBucket + "' (" + nats::KvReadsName(kv_reads_) + " gets): ";
    if (kv_reads_ == nats::KvReads::kDirect) {
      kvConfig kc;
      kvConfig_Init(&kc);
      kc.Bucket = kBucket;
      kc.History = 1;
      kc.StorageType = js_FileStorage;
      kc.Replicas = static_cast<int>(nats::Replicas(members_.size()));
      s = js_CreateKeyValue(&kv_, js_, &kc);  // allow_direct on: libnats 3.4.1 always sets it
    } else {
      // js_CreateKeyValue's stream, allow_direct off: js_KeyValue then gets from the leader.
      const std::string stream = nats::kKvStream;
      const std::string subject = std::string("$KV.") + kBucket + ".>";
      const char* subjects[] = {subject.c_str()};
      jsStreamConfig sc;
      jsStreamConfig_Init(&sc);
      sc.Name = stream.c_str();
      sc.Subjects = subjects;
      sc.SubjectsLen = 1;
      sc.MaxMsgsPerSubject = 1;
      sc.Storage = js_FileStorage;
      sc.Replicas = nats::Replicas(members_.size());
      sc.AllowRollup = true;
      sc.DenyDelete = true;
      sc.Discard = js_DiscardNew;
      sc.AllowDirect = false;
      jsStreamInfo* info = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      s = js_AddStream(&info, js_, &sc, nullptr, &jerr);
      if (info) jsStreamInfo_Destroy(info);
      if (s == NATS_OK || jerr == JSStreamNameExistErr) s = js_KeyValue(&kv_, js_, kBucket);
    }
    if (s != NATS_OK) {
      kv_ = nullptr;
      return Status::Unavailable(what + natsStatus_GetText(s) + ": " + LastErrorText());
    }
    return Status::Ok();
  }

  // The key's value and revision (null and 0 when it has none), or a fail (a get changes nothing).
  struct Entry {
    json value;
    uint64_t revision = 0;
  };
  Result<Entry> KvGet(const std::string& key) {
    SB_RETURN_IF_ERROR(BindKv());
    kvEntry* e = nullptr;
    natsStatus s = kvStore_Get(&e, kv_, key.c_str());
    if (s == NATS_NOT_FOUND) return Entry{};
    if (s != NATS_OK) {
      return Status::Unavailable(std::string("get ") + key + ": " + natsStatus_GetText(s) + ": " +
                                 LastErrorText());
    }
    const std::string data(static_cast<const char*>(kvEntry_Value(e)),
                           static_cast<size_t>(kvEntry_ValueLen(e)));
    Entry out;
    out.revision = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    out.value = json::parse(data, nullptr, false);
    // Not a value the workload wrote: kept as its text, which no write matches.
    if (out.value.is_discarded()) out.value = data;
    return out;
  }

  records::Reply KvRead(const std::string& key, milliseconds left) {
    (void)left;  // the context's Wait (Connect) bounds the get
    Result<Entry> e = KvGet(key);
    if (!e.ok()) {
      Disconnect();
      return records::Reply::Refused(Refusal::kMember, e.status().message());
    }
    records::Reply r;
    r.outcome = Outcome::kOk;
    r.value = e->value;
    return r;
  }

  records::Reply KvWrite(const std::string& key, const std::string& data, milliseconds) {
    if (Status b = BindKv(); !b.ok()) {
      Disconnect();
      return records::Reply::Refused(Refusal::kMember, b.message());
    }
    uint64_t rev = 0;
    natsStatus s = kvStore_Put(&rev, kv_, key.c_str(), data.data(), static_cast<int>(data.size()));
    records::Reply r = nats::KvWriteReply(s, s == NATS_OK ? "" : LastErrorText());
    if (r.ok()) r.value = nullptr;
    if (r.outcome == Outcome::kUnknown) Disconnect();
    return r;
  }

  // Compare-and-set: the value at the revision read is the one the update replaces, or the
  // update is refused (JetStream's expected last subject sequence).
  records::Reply KvCas(const std::string& key, const json& expected, const std::string& data,
                       milliseconds) {
    Result<Entry> e = KvGet(key);
    if (!e.ok()) {
      Disconnect();
      return records::Reply::Refused(Refusal::kMember, e.status().message());
    }
    if (e->value != expected) {
      return records::Reply::Refused(Refusal::kState, "compare failed: the key holds " +
                                                          e->value.dump() + " (revision " +
                                                          std::to_string(e->revision) + ")");
    }
    uint64_t rev = 0;
    natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), data.data(),
                                  static_cast<int>(data.size()), e->revision);
    records::Reply r = nats::KvWriteReply(s, s == NATS_OK ? "" : LastErrorText());
    if (r.ok()) r.value = nullptr;
    if (r.outcome == Outcome::kUnknown) Disconnect();
    return r;
  }

  std::vector<workloads::NodeAddress> members_;
  workloads::NodePicker picker_;
  size_t current_;
  nats::KvReads kv_reads_;
  natsConnection* conn_ = nullptr;  // null: not connected
  jsCtx* js_ = nullptr;             // null exactly when conn_ is
  kvStore* kv_ = nullptr;           // the bucket on conn_; null: not bound yet
  size_t connected_to_ = 0;         // the member conn_ is to
  // When this client's reads began to find no stream, without another answer since; empty:
  // the last read found it (or none asked yet).
  std::optional<SteadyClock::time_point> not_found_since_;
};

}  // namespace

std::unique_ptr<workloads::Client> NewNatsClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed, nats::KvReads kv_reads) {
  return std::make_unique<NatsClient>(std::move(members), slot, placement, seed, kv_reads);
}

}  // namespace splitbrain::clients
