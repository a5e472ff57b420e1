#include "clients/zookeeper_client.h"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>

#include "clients/retry.h"

namespace splitbrain::clients {
using nlohmann::json;
using records::Outcome;
using records::Refusal;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace zookeeper {

const char* ReadsName(Reads reads) { return reads == Reads::kPlain ? "plain" : "sync"; }

std::optional<Reads> ReadsFromName(const std::string& name) {
  if (name == "plain") return Reads::kPlain;
  if (name == "sync") return Reads::kSync;
  return std::nullopt;
}

records::Reply ReplyFor(int rc, bool write, const std::string& what) {
  records::Reply r;
  if (rc == ZOK) {
    r.outcome = Outcome::kOk;
    return r;
  }
  const std::string why =
      what + ": " + (rc == kNoAnswer ? std::string("no answer by the deadline") : zerror(rc));
  switch (rc) {
    case ZBADVERSION:
    case ZNONODE:
    case ZNODEEXISTS:
    case ZNOTEMPTY:
      return records::Reply::Refused(Refusal::kState, why);
    case ZBADARGUMENTS:
    case ZMARSHALLINGERROR:
    case ZINVALIDACL:
      return records::Reply::Refused(Refusal::kInvalid, why);
    case ZINVALIDSTATE:  // the handle sent nothing
      return records::Reply::Refused(Refusal::kMember, why);
    default:
      break;
  }
  if (!write) return records::Reply::Refused(Refusal::kMember, why);
  r.outcome = Outcome::kUnknown;
  r.error = why;
  return r;
}

std::optional<int64_t> SequenceOf(const std::string& name) {
  if (name.size() < 10) return std::nullopt;
  const std::string digits = name.substr(name.size() - 10);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(digits);
}

}  // namespace zookeeper

namespace {

// The library logs every failed connection attempt to stderr; each reply's error says what
// went wrong instead. Set once for the process (the setting is the library's, process-wide).
void QuietLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    if (FILE* null = fopen("/dev/null", "w")) zoo_set_log_stream(null);
  });
}

// One asynchronous call's answer, filled by the library's completion thread. Shared with the
// completion (which may come after the caller stopped waiting, or when the handle closes).
struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;                // GUARDED_BY(mu)
  int rc = 0;                       // GUARDED_BY(mu)
  std::optional<std::string> data;  // getData's bytes; the created path          GUARDED_BY(mu)
  int32_t version = -1;  // the znode's version (getData)                       GUARDED_BY(mu)
  std::vector<std::string> children;  // getChildren's names                        GUARDED_BY(mu)
};
using AnswerPtr = std::shared_ptr<Answer>;

template <typename F>
void Complete(const void* tag, int rc, F fill) {
  std::unique_ptr<AnswerPtr> a(static_cast<AnswerPtr*>(const_cast<void*>(tag)));
  {
    std::lock_guard<std::mutex> lock((*a)->mu);
    (*a)->rc = rc;
    fill(**a);
    (*a)->done = true;
  }
  (*a)->cv.notify_all();
}

void OnData(int rc, const char* value, int len, const Stat* stat, const void* tag) {
  Complete(tag, rc, [&](Answer& a) {
    if (rc == ZOK && value && len >= 0) a.data = std::string(value, static_cast<size_t>(len));
    if (rc == ZOK && !value) a.data = std::string();
    if (stat) a.version = stat->version;
  });
}
void OnStat(int rc, const Stat* stat, const void* tag) {
  Complete(tag, rc, [&](Answer& a) {
    if (stat) a.version = stat->version;
  });
}
void OnString(int rc, const char* value, const void* tag) {
  Complete(tag, rc, [&](Answer& a) {
    if (value) a.data = std::string(value);
  });
}
void OnStrings(int rc, const String_vector* strings, const void* tag) {
  Complete(tag, rc, [&](Answer& a) {
    if (!strings) return;
    for (int32_t i = 0; i < strings->count; ++i) a.children.emplace_back(strings->data[i]);
  });
}
void OnVoid(int rc, const void* tag) {
  Complete(tag, rc, [](Answer&) {});
}

// The session's events, from the library's completion thread: counted, so a waiter for a
// watch (the lock's predecessor gone) wakes on any of them and looks again.
struct Events {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t count = 0;  // GUARDED_BY(mu)
};
void OnEvent(zhandle_t*, int, int, const char*, void* ctx) {
  auto* e = static_cast<Events*>(ctx);
  {
    std::lock_guard<std::mutex> lock(e->mu);
    ++e->count;
  }
  e->cv.notify_all();
}

// The longest one try waits for its member to take the session (a killed member refuses at
// once; a paused one says nothing): after that the next member is tried.
constexpr milliseconds kConnectWait{1000};

class ZookeeperClient : public workloads::Client {
 public:
  ZookeeperClient(std::vector<workloads::NodeAddress> members, size_t slot,
                  workloads::Placement placement, uint64_t seed, zookeeper::Reads reads)
      : members_(std::move(members)),
        picker_(placement, members_.size(), slot, seed),
        current_(picker_.home()),
        reads_(reads) {
    QuietLibrary();
  }
  ~ZookeeperClient() override { Close(); }

  records::Reply Send(const json& command, milliseconds timeout) override {
    const auto deadline = SteadyClock::now() + timeout;
    const std::string op = command.value("op", "");
    current_ = picker_.Start(current_) % members_.size();
    if (!zh_ && command.contains("ttl_ms") && command["ttl_ms"].is_number_integer()) {
      session_timeout_ = milliseconds(command["ttl_ms"].get<int64_t>());
    }
    if (op == "acquire") return Acquire(command, deadline);
    if (op == "release") return Release(command, deadline);
    if (op != "read" && op != "write" && op != "cas") {
      return records::Reply::Refused(
          Refusal::kInvalid, "the zookeeper adapter has no translation for op '" + op + "'");
    }
    if (!command.contains("key") || !command["key"].is_string()) {
      return records::Reply::Refused(Refusal::kInvalid,
                                     "command " + command.dump() + " has no string key");
    }
    const std::string path =
        std::string(zookeeper::kRegisterRoot) + "/" + command["key"].get<std::string>();
    if (op == "read") return Retrying(deadline, [&] { return Read(path, deadline); });
    const std::string data = command.value("value", json()).dump();
    if (op == "write") return Retrying(deadline, [&] { return Write(path, data, deadline); });
    const json expected = command.value("expected", json());
    return Retrying(deadline, [&] { return Cas(path, expected, data, deadline); });
  }

 private:
  // Runs `attempt` by the one retry policy: first on the current member, then — after a
  // refusal that certainly changed nothing — on the next, the session moved there.
  template <typename F>
  records::Reply Retrying(SteadyClock::time_point deadline, F attempt) {
    return SendWithRetry(
        deadline, members_.size(), &current_,
        [&](size_t member, milliseconds) {
          records::Reply r;
          if (Status s = Ready(member, deadline); !s.ok()) {
            r = s.code() == StatusCode::kAborted
                    ? Expired(s.message())
                    : records::Reply::Refused(Refusal::kMember, s.message());
          } else {
            r = attempt();
            if (zh_ && zoo_state(zh_) == ZOO_EXPIRED_SESSION_STATE && r.outcome != Outcome::kOk) {
              r = Expired(r.error);
            }
          }
          r.node = ensemble_ ? ConnectedMember() : members_[member].id;
          return r;
        },
        /*leader_of=*/nullptr, "deadline passed before any member took the session");
  }

  // ZooKeeper expired this session: the logical process ends (unknown; the worker starts a new
  // one with a new client and so a new session).
  static records::Reply Expired(const std::string& why) {
    records::Reply r;
    r.outcome = Outcome::kUnknown;
    r.error = "session expired (" + why + "); a new session is a new process";
    return r;
  }

  // A session connected to members_[member]: made at the first command, moved there with
  // zoo_set_servers (the same session) when it is at another member. kAborted when ZooKeeper
  // expired the session; kUnavailable when the member did not take it within kConnectWait.
  Status Ready(size_t member, SteadyClock::time_point deadline) {
    std::string host = members_[member].client;
    if (ensemble_) {
      // The lock's session: every member, so the library itself moves the session when its
      // member goes quiet (as a client with the ensemble in its connection string does).
      host.clear();
      for (const auto& m : members_) host += (host.empty() ? "" : ",") + m.client;
    }
    if (zh_ && zoo_state(zh_) == ZOO_EXPIRED_SESSION_STATE) {
      return Status::Aborted("the session " + SessionId() + " is expired");
    }
    if (zh_ && host_ != host) {
      const clientid_t* id = zoo_client_id(zh_);
      if (!id || id->client_id == 0) {
        Close();  // never connected: nothing to keep
      } else if (zoo_set_servers(zh_, host.c_str()) != ZOK) {
        return Status::Unavailable("zoo_set_servers " + host + " refused");
      }
      if (zh_) host_ = host;
    }
    if (!zh_) {
      events_ = std::make_shared<Events>();
      zh_ = zookeeper_init(host.c_str(), OnEvent, static_cast<int>(session_timeout_.count()),
                           nullptr, events_.get(), 0);
      if (!zh_) return Status::Unavailable("zookeeper_init " + host + " failed");
      host_ = host;
    }
    const auto until = std::min(deadline, SteadyClock::now() + kConnectWait);
    while (true) {
      const int state = zoo_state(zh_);
      if (state == ZOO_CONNECTED_STATE) return Status::Ok();
      if (state == ZOO_EXPIRED_SESSION_STATE) {
        return Status::Aborted("the session " + SessionId() + " is expired");
      }
      if (SteadyClock::now() >= until) break;
      std::unique_lock<std::mutex> lock(events_->mu);
      const uint64_t seen = events_->count;
      events_->cv.wait_for(lock, milliseconds(20), [&] { return events_->count != seen; });
    }
    return Status::Unavailable(members_[member].id + " (" + host +
                               ") did not take the session within " +
                               std::to_string(kConnectWait.count()) + " ms");
  }

  // The id of the member the session is on now (the lock's session picks its own); empty when
  // none.
  std::string ConnectedMember() const {
    const char* at = zh_ ? zoo_get_current_server(zh_) : nullptr;
    if (!at) return "";
    for (const auto& m : members_) {
      if (m.client == at) return m.id;
    }
    return "";
  }

  std::string SessionId() const {
    const clientid_t* id = zh_ ? zoo_client_id(zh_) : nullptr;
    char buf[32];
    snprintf(buf, sizeof buf, "0x%llx",
             static_cast<unsigned long long>(id ? static_cast<uint64_t>(id->client_id) : 0));
    return buf;
  }

  void Close() {
    if (zh_) zookeeper_close(zh_);  // completions still pending are called with ZCLOSING
    zh_ = nullptr;
    host_.clear();
  }

  // Waits for `a` until `deadline`; false when it did not come.
  static bool Wait(const AnswerPtr& a, SteadyClock::time_point deadline) {
    std::unique_lock<std::mutex> lock(a->mu);
    return a->cv.wait_until(lock, deadline, [&] { return a->done; });
  }
  // Issues one asynchronous call — `issue(tag)`, the tag being the completion's `data`: a heap
  // copy of `a`'s pointer that the completion frees — and returns its code: the completion's,
  // kNoAnswer past the deadline, or the code the library refused the call with (it then calls
  // no completion, so the tag is freed here).
  template <typename Issue>
  static int Call(const AnswerPtr& a, SteadyClock::time_point deadline, Issue issue) {
    auto* tag = new AnswerPtr(a);
    const int issued = issue(static_cast<const void*>(tag));
    if (issued != ZOK) {
      delete tag;
      return issued;
    }
    if (!Wait(a, deadline)) return zookeeper::kNoAnswer;
    std::lock_guard<std::mutex> lock(a->mu);
    return a->rc;
  }

  int GetData(const std::string& path, SteadyClock::time_point deadline, AnswerPtr* out) {
    *out = std::make_shared<Answer>();
    return Call(*out, deadline,
                [&](const void* t) { return zoo_aget(zh_, path.c_str(), 0, OnData, t); });
  }
  int SetData(const std::string& path, const std::string& data, int version,
              SteadyClock::time_point deadline) {
    auto a = std::make_shared<Answer>();
    return Call(a, deadline, [&](const void* t) {
      return zoo_aset(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), version,
                      OnStat, t);
    });
  }
  int Create(const std::string& path, const std::string& data, int flags,
             SteadyClock::time_point deadline, std::string* created = nullptr) {
    auto a = std::make_shared<Answer>();
    const int rc = Call(a, deadline, [&](const void* t) {
      return zoo_acreate(zh_, path.c_str(), data.data(), static_cast<int>(data.size()),
                         &ZOO_OPEN_ACL_UNSAFE, flags, OnString, t);
    });
    if (rc == ZOK && created) {
      std::lock_guard<std::mutex> lock(a->mu);
      *created = a->data.value_or("");
    }
    return rc;
  }
  int Delete(const std::string& path, SteadyClock::time_point deadline) {
    auto a = std::make_shared<Answer>();
    return Call(a, deadline,
                [&](const void* t) { return zoo_adelete(zh_, path.c_str(), -1, OnVoid, t); });
  }

  // The parents of `path` (persistent, empty), once per session. Creating them changes no
  // register value and no lock, so a failure is this member's refusal: the command was not sent.
  Status Parents(const std::string& path, SteadyClock::time_point deadline) {
    for (size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
      const std::string parent = path.substr(0, at);
      if (made_.count(parent)) continue;
      const int rc = Create(parent, "", ZOO_PERSISTENT, deadline);
      if (rc != ZOK && rc != ZNODEEXISTS) {
        return Status::Unavailable("create " + parent + ": " +
                                   (rc == zookeeper::kNoAnswer ? "no answer" : zerror(rc)));
      }
      made_.insert(parent);
    }
    return Status::Ok();
  }

  // The JSON value stored in a znode (null for none); text that is not JSON is kept as text,
  // which no write matches.
  static json Decode(const std::optional<std::string>& data) {
    if (!data || data->empty()) return nullptr;
    json v = json::parse(*data, nullptr, false);
    return v.is_discarded() ? json(*data) : v;
  }

  records::Reply Read(const std::string& path, SteadyClock::time_point deadline) {
    if (reads_ == zookeeper::Reads::kSync) {
      // The member catches up with the leader before answering the get that follows on this
      // session (ZooKeeper answers a session's requests in order).
      auto s = std::make_shared<Answer>();
      const int rc = Call(s, deadline,
                          [&](const void* t) { return zoo_async(zh_, path.c_str(), OnString, t); });
      if (rc != ZOK) return zookeeper::ReplyFor(rc, /*write=*/false, "sync " + path);
    }
    AnswerPtr a;
    const int rc = GetData(path, deadline, &a);
    records::Reply r;
    if (rc == ZNONODE) {
      r.outcome = Outcome::kOk;  // never written: null
      return r;
    }
    r = zookeeper::ReplyFor(rc, /*write=*/false, "get " + path);
    if (r.ok()) {
      std::lock_guard<std::mutex> lock(a->mu);
      r.value = Decode(a->data);
    }
    return r;
  }

  records::Reply Write(const std::string& path, const std::string& data,
                       SteadyClock::time_point deadline) {
    if (Status s = Parents(path, deadline); !s.ok()) {
      return records::Reply::Refused(Refusal::kMember, s.message());
    }
    // setData, or create where there is no znode yet; each refusal is definite, so go on
    // until one of them takes it.
    while (true) {
      int rc = SetData(path, data, -1, deadline);
      if (rc == ZNONODE) {
        rc = Create(path, data, ZOO_PERSISTENT, deadline);
        if (rc == ZNODEEXISTS && SteadyClock::now() < deadline) continue;
        records::Reply r = zookeeper::ReplyFor(rc, /*write=*/true, "create " + path);
        if (rc == ZNODEEXISTS) r.refusal = Refusal::kMember;  // a race lost until the deadline
        return r;
      }
      return zookeeper::ReplyFor(rc, /*write=*/true, "set " + path);
    }
  }

  // Compare-and-set: setData with the version read, so ZooKeeper refuses it unless the value
  // compared is still the one there.
  records::Reply Cas(const std::string& path, const json& expected, const std::string& data,
                     SteadyClock::time_point deadline) {
    AnswerPtr a;
    int rc = GetData(path, deadline, &a);
    json current;
    int32_t version = -1;
    if (rc == ZOK) {
      std::lock_guard<std::mutex> lock(a->mu);
      current = Decode(a->data);
      version = a->version;
    } else if (rc != ZNONODE) {
      return zookeeper::ReplyFor(rc, /*write=*/false, "get " + path);
    }
    if (current != expected) {
      return records::Reply::Refused(Refusal::kState,
                                     "compare failed: " + path + " holds " + current.dump());
    }
    if (rc == ZNONODE) {
      // Expected null and none there: create it; another create first is a failed compare.
      if (Status s = Parents(path, deadline); !s.ok()) {
        return records::Reply::Refused(Refusal::kMember, s.message());
      }
      return zookeeper::ReplyFor(Create(path, data, ZOO_PERSISTENT, deadline), /*write=*/true,
                                 "create " + path);
    }
    return zookeeper::ReplyFor(SetData(path, data, version, deadline), /*write=*/true,
                               "set " + path + " at version " + std::to_string(version));
  }

  // ZooKeeper's lock recipe: an ephemeral sequential child; the lowest holds the lock; each
  // waiter watches the child just below its own.
  records::Reply Acquire(const json& command, SteadyClock::time_point deadline) {
    const std::string name = command.value("key", "");
    if (held_) {
      return records::Reply::Refused(Refusal::kState, "this process already holds " + held_name_);
    }
    const std::string dir = std::string(zookeeper::kLockRoot) + "/" + name;
    std::string mine;
    ensemble_ = true;
    records::Reply r = Retrying(deadline, [&]() -> records::Reply {
      if (Status s = Parents(dir + "/lock-", deadline); !s.ok()) {
        return records::Reply::Refused(Refusal::kMember, s.message());
      }
      return zookeeper::ReplyFor(
          Create(dir + "/lock-", "", ZOO_EPHEMERAL_SEQUENTIAL, deadline, &mine), /*write=*/true,
          "create " + dir + "/lock-");
    });
    if (!r.ok()) return r;
    const std::string my_name = mine.substr(mine.rfind('/') + 1);
    const int64_t token = zookeeper::SequenceOf(my_name).value_or(-1);
    while (SteadyClock::now() < deadline) {
      auto list = std::make_shared<Answer>();
      int rc = Call(list, deadline, [&](const void* t) {
        return zoo_aget_children(zh_, dir.c_str(), 0, OnStrings, t);
      });
      if (rc != ZOK) break;
      std::vector<std::pair<int64_t, std::string>> waiting;
      {
        std::lock_guard<std::mutex> lock(list->mu);
        for (const auto& c : list->children) {
          if (auto seq = zookeeper::SequenceOf(c)) waiting.emplace_back(*seq, c);
        }
      }
      std::sort(waiting.begin(), waiting.end());
      auto me = std::find_if(waiting.begin(), waiting.end(),
                             [&](const auto& w) { return w.second == my_name; });
      if (me == waiting.end()) {
        // Our child is gone: only an expired session deletes it.
        return Expired(mine + " was deleted while waiting");
      }
      if (me == waiting.begin()) {
        held_ = true;
        held_name_ = name;
        held_path_ = mine;
        held_token_ = token;
        r.outcome = Outcome::kOk;
        r.node = ConnectedMember();
        r.value = token;  // the fencing token: the sequence number, which only grows
        return r;
      }
      // Watch the child just below ours; when it goes (or anything happens to the session),
      // look again.
      const std::string below = dir + "/" + std::prev(me)->second;
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(events_->mu);
        seen = events_->count;
      }
      auto exists = std::make_shared<Answer>();
      rc = Call(exists, deadline,
                [&](const void* t) { return zoo_aexists(zh_, below.c_str(), 1, OnStat, t); });
      if (rc == ZNONODE) continue;
      if (rc != ZOK) break;
      std::unique_lock<std::mutex> lock(events_->mu);
      events_->cv.wait_until(lock, deadline, [&] { return events_->count != seen; });
    }
    // Not the holder by the deadline (or the session broke): give our place up. Deleted, we
    // never held the lock: a fail. Otherwise our child may still become the holder: unknown.
    const int rc = Delete(mine, std::max(deadline, SteadyClock::now() + milliseconds(500)));
    if (rc == ZOK) {
      return records::Reply::Refused(Refusal::kState,
                                     "not the lowest child of " + dir + " by the deadline");
    }
    records::Reply out;
    out.outcome = Outcome::kUnknown;
    out.node = ConnectedMember();
    out.error = "waiting for " + dir + " ended without the lock, and " + mine +
                " could not be deleted: " + (rc == zookeeper::kNoAnswer ? "no answer" : zerror(rc));
    return out;
  }

  records::Reply Release(const json& command, SteadyClock::time_point deadline) {
    if (!held_ || held_name_ != command.value("key", "") ||
        command.value("token", json()) != held_token_) {
      return records::Reply::Refused(Refusal::kState, "this process does not hold that lock");
    }
    records::Reply r = Retrying(deadline, [&]() -> records::Reply {
      const int rc = Delete(held_path_, deadline);
      if (rc != ZNONODE) return zookeeper::ReplyFor(rc, /*write=*/true, "delete " + held_path_);
      // Gone already: ZooKeeper expired a session of ours and deleted it, at a time we do not
      // know. The lock is released, but not certainly by this delete.
      records::Reply gone;
      gone.outcome = Outcome::kUnknown;
      gone.error = "delete " + held_path_ + ": it was already gone (the session expired)";
      return gone;
    });
    if (r.ok()) held_ = false;
    return r;
  }

  std::vector<workloads::NodeAddress> members_;
  workloads::NodePicker picker_;
  size_t current_;
  zookeeper::Reads reads_;
  milliseconds session_timeout_ = zookeeper::kSessionTimeout;
  zhandle_t* zh_ = nullptr;         // null: no session yet
  std::string host_;                // the member address(es) zh_ is pointed at
  bool ensemble_ = false;           // the lock workload: the session lists every member
  std::shared_ptr<Events> events_;  // zh_'s watcher context; outlives zh_
  std::set<std::string> made_;      // parents known to exist in this session
  bool held_ = false;
  std::string held_name_;
  std::string held_path_;  // our lock child
  int64_t held_token_ = -1;
};

}  // namespace

std::unique_ptr<workloads::Client> NewZookeeperClient(std::vector<workloads::NodeAddress> members,
                                                      size_t slot, workloads::Placement placement,
                                                      uint64_t seed, zookeeper::Reads reads) {
  return std::make_unique<ZookeeperClient>(std::move(members), slot, placement, seed, reads);
}

}  // namespace splitbrain::clients
