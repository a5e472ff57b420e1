// The hand-written mapping of etcd's KV messages (etcd_messages.h) against protobuf's own JSON
// mapping, which it stands in for on the gRPC transport: on the bodies the client builds (and
// variations of them a hand-written JSON could take) the requests must be the same messages, and
// on random answers the JSON must be the same document. What it does not cover it must refuse.
#include "clients/etcd_messages.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <random>

#include "clients/etcd_client.h"

namespace splitbrain::clients::etcd {
namespace {

using nlohmann::json;

template <typename Msg>
std::string Bytes(const Msg& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

template <typename Msg>
Msg ByMapping(const json& body) {
  Msg m;
  const auto st = google::protobuf::util::JsonStringToMessage(body.dump(), &m);
  EXPECT_TRUE(st.ok()) << body.dump() << ": " << st.ToString();
  return m;
}

template <typename Msg>
json PrintedByMapping(const Msg& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  std::string text;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &text, o).ok());
  return json::parse(text);
}

// Renames every member to its lowerCamel spelling ("range_end" -> "rangeEnd"), all the way down.
json Camel(const json& j) {
  if (j.is_array()) {
    json out = json::array();
    for (const json& e : j) out.push_back(Camel(e));
    return out;
  }
  if (!j.is_object()) return j;
  json out = json::object();
  for (const auto& [k, v] : j.items()) {
    std::string c;
    for (size_t i = 0; i < k.size(); ++i) {
      if (k[i] == '_' && i + 1 < k.size()) {
        c += static_cast<char>(k[++i] - 'a' + 'A');
      } else {
        c += k[i];
      }
    }
    out[c] = Camel(v);
  }
  return out;
}

void ExpectSameRequest(const std::string& path, const json& body) {
  SCOPED_TRACE(path + " " + body.dump());
  if (path == "/v3/kv/range") {
    etcdserverpb::RangeRequest m;
    ASSERT_TRUE(RangeFromJson(body, &m));
    EXPECT_EQ(Bytes(m), Bytes(ByMapping<etcdserverpb::RangeRequest>(body)));
  } else if (path == "/v3/kv/put") {
    etcdserverpb::PutRequest m;
    ASSERT_TRUE(PutFromJson(body, &m));
    EXPECT_EQ(Bytes(m), Bytes(ByMapping<etcdserverpb::PutRequest>(body)));
  } else {
    ASSERT_EQ(path, "/v3/kv/txn");
    etcdserverpb::TxnRequest m;
    ASSERT_TRUE(TxnFromJson(body, &m));
    EXPECT_EQ(Bytes(m), Bytes(ByMapping<etcdserverpb::TxnRequest>(body)));
  }
}

TEST(EtcdMessages, TheClientsRequestsAreTheMessagesProtobufsMappingMakes) {
  const std::vector<json> commands = {
      {{"op", "read"}, {"key", "k1"}},
      {{"op", "get"}, {"key", "x"}},
      {{"op", "write"}, {"key", "k1"}, {"value", 42}},
      {{"op", "put"}, {"key", "\xff\x00odd"}, {"value", "v"}},
      {{"op", "cas"}, {"key", "k2"}, {"expected", 1}, {"value", 2}},
      {{"op", "set-add"}, {"key", "s"}, {"value", 7}},
      {{"op", "set-read"}, {"key", "s"}},
      {{"op", "counter-read"}, {"key", "c"}},
      {{"op", "bank-read"}},
      {{"op", "bank-init"}, {"accounts", {{"a", 10}, {"b", 0}}}},
  };
  int n = 0;
  for (const json& c : commands) {
    Result<Request> r = RequestFor(c);
    ASSERT_TRUE(r.ok()) << c.dump() << ": " << r.status();
    ExpectSameRequest(r->path, r->body);
    ExpectSameRequest(r->path, Camel(r->body));
    ++n;
  }
  // The read-modify-writes' two steps (append, counter, transfer).
  const Request read = ReadKeysRequest({"a", "b"});
  ExpectSameRequest(read.path, read.body);
  Update u;
  u.puts = {{"a", 5}, {"b", json("text")}};
  const Request write =
      UpdateRequest({"a", "b"}, {KeyState{json(1), "17"}, KeyState{json(), "0"}}, u);
  ExpectSameRequest(write.path, write.body);
  ExpectSameRequest(write.path, Camel(write.body));
  // What a hand-written body may hold besides: numbers for 64-bit integers, the other fields.
  ExpectSameRequest("/v3/kv/range", {{"key", "YQ=="},
                                     {"limit", 3},
                                     {"revision", "-1"},
                                     {"serializable", true},
                                     {"keys_only", false},
                                     {"countOnly", true}});
  ExpectSameRequest("/v3/kv/put", {{"key", "YQ=="},
                                   {"value", ""},
                                   {"lease", 7},
                                   {"prev_kv", true},
                                   {"ignoreValue", false},
                                   {"ignore_lease", true}});
  ExpectSameRequest(
      "/v3/kv/txn",
      {{"compare",
        {{{"key", "YQ=="}, {"target", "VERSION"}, {"result", "GREATER"}, {"version", 2}},
         {{"key", "YQ=="}, {"target", 1}, {"result", "LESS"}, {"createRevision", "9"}},
         {{"key", "YQ=="}, {"target", "LEASE"}, {"result", "NOT_EQUAL"}, {"lease", "0"}},
         {{"key", "YQ=="}, {"range_end", "Yg=="}, {"target", "VALUE"}, {"value", "eA=="}}}},
       {"success", {{{"request_range", {{"key", "YQ=="}}}}}},
       {"failure", {{{"requestPut", {{"key", "YQ=="}, {"value", "eA=="}}}}, json::object()}}});
  EXPECT_EQ(n, 10);
}

TEST(EtcdMessages, WhatTheHandMappingDoesNotCoverIsRefused) {
  etcdserverpb::RangeRequest r;
  EXPECT_FALSE(RangeFromJson({{"key", "YQ=="}, {"sort_order", "DESCEND"}}, &r));  // not covered
  EXPECT_FALSE(RangeFromJson({{"key", nullptr}}, &r));
  EXPECT_FALSE(RangeFromJson({{"key", "not base64!"}}, &r));
  EXPECT_FALSE(RangeFromJson({{"limit", "12x"}}, &r));
  EXPECT_FALSE(RangeFromJson({{"limit", 18446744073709551615ULL}}, &r));
  EXPECT_FALSE(RangeFromJson(json::array(), &r));
  etcdserverpb::PutRequest p;
  EXPECT_FALSE(PutFromJson({{"key", "YQ=="}, {"prev_kv", "yes"}}, &p));
  etcdserverpb::TxnRequest t;
  EXPECT_FALSE(TxnFromJson({{"success", {{{"request_delete_range", {{"key", "YQ=="}}}}}}}, &t));
  EXPECT_FALSE(TxnFromJson(
      {{"success", {{{"request_put", {{"key", "YQ=="}}}, {"request_range", {{"key", "YQ=="}}}}}}},
      &t));
  EXPECT_FALSE(TxnFromJson({{"compare", {{{"target", "NEWEST"}}}}}, &t));
  EXPECT_FALSE(TxnFromJson({{"compare", {{{"result", 9}}}}}, &t));
  // The transport then uses protobuf's mapping: a delete in a transaction still works.
  etcdserverpb::TxnResponse answer;
  answer.add_responses()->mutable_response_delete_range()->set_deleted(1);
  EXPECT_FALSE(ToJson(answer).has_value());
}

std::string RandomBytes(std::mt19937_64& rng) {
  std::string s(rng() % 5, '\0');
  for (char& c : s) c = static_cast<char>(rng() % 256);
  return s;
}

// A 64-bit value that is 0 (left out of the JSON) a third of the time, else anything.
int64_t RandomInt(std::mt19937_64& rng) {
  switch (rng() % 3) {
    case 0:
      return 0;
    case 1:
      return static_cast<int64_t>(rng() % 100) - 20;
    default:
      return static_cast<int64_t>(rng());
  }
}

void RandomHeader(std::mt19937_64& rng, etcdserverpb::ResponseHeader* h) {
  h->set_cluster_id(static_cast<uint64_t>(RandomInt(rng)));
  h->set_member_id(static_cast<uint64_t>(RandomInt(rng)));
  h->set_revision(RandomInt(rng));
  h->set_raft_term(static_cast<uint64_t>(RandomInt(rng)));
}

void RandomKv(std::mt19937_64& rng, mvccpb::KeyValue* kv) {
  kv->set_key(RandomBytes(rng));
  kv->set_create_revision(RandomInt(rng));
  kv->set_mod_revision(RandomInt(rng));
  kv->set_version(RandomInt(rng));
  kv->set_value(RandomBytes(rng));
  kv->set_lease(RandomInt(rng));
}

void RandomRange(std::mt19937_64& rng, etcdserverpb::RangeResponse* r) {
  if (rng() % 4) RandomHeader(rng, r->mutable_header());
  for (size_t i = rng() % 3; i > 0; --i) RandomKv(rng, r->add_kvs());
  r->set_more(rng() % 2);
  r->set_count(RandomInt(rng));
}

void RandomPut(std::mt19937_64& rng, etcdserverpb::PutResponse* r) {
  if (rng() % 4) RandomHeader(rng, r->mutable_header());
  if (rng() % 2) RandomKv(rng, r->mutable_prev_kv());
}

TEST(EtcdMessages, AnswersPrintAsProtobufsMappingPrintsThem) {
  std::mt19937_64 rng(20261201);
  for (int i = 0; i < 1000; ++i) {
    etcdserverpb::RangeResponse range;
    RandomRange(rng, &range);
    ASSERT_EQ(ToJson(range), PrintedByMapping(range)) << range.ShortDebugString();
    etcdserverpb::PutResponse put;
    RandomPut(rng, &put);
    ASSERT_EQ(ToJson(put), PrintedByMapping(put)) << put.ShortDebugString();
    etcdserverpb::TxnResponse txn;
    if (rng() % 4) RandomHeader(rng, txn.mutable_header());
    txn.set_succeeded(rng() % 2);
    for (size_t k = rng() % 4; k > 0; --k) {
      etcdserverpb::ResponseOp* op = txn.add_responses();
      switch (rng() % 3) {
        case 0:
          RandomRange(rng, op->mutable_response_range());
          break;
        case 1:
          RandomPut(rng, op->mutable_response_put());
          break;
        default:
          break;  // none set: {}
      }
    }
    const std::optional<json> j = ToJson(txn);
    ASSERT_TRUE(j.has_value());
    ASSERT_EQ(*j, PrintedByMapping(txn)) << txn.ShortDebugString();
  }
}

}  // namespace
}  // namespace splitbrain::clients::etcd
