#include "clients/etcd_messages.h"

#include <charconv>
#include <string>

#include "clients/etcd_client.h"

namespace splitbrain::clients::etcd {
using nlohmann::json;

namespace {

// proto3's JSON: a 64-bit integer is a string (etcd_client.cc writes "0") or a number.
bool Int64Of(const json& v, int64_t* out) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}) return false;
    *out = v.get<int64_t>();
    return true;
  }
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

bool BoolOf(const json& v, bool* out) {
  if (!v.is_boolean()) return false;
  *out = v.get<bool>();
  return true;
}

bool BytesOf(const json& v, std::string* out) {
  if (!v.is_string()) return false;
  Result<std::string> bytes = Base64Decode(v.get_ref<const std::string&>());
  if (!bytes.ok()) return false;  // the mapping also takes unpadded and URL-safe base64
  *out = std::move(*bytes);
  return true;
}

// Calls `field(name, value)` for each member, naming it in the .proto's spelling (lowerCamel
// turned back: "rangeEnd" -> "range_end"); false when `body` is not an object or a field is
// refused.
template <typename Field>
bool EachField(const json& body, Field field) {
  if (!body.is_object()) return false;
  for (const auto& [name, value] : body.items()) {
    std::string snake;
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') {
        snake += '_';
        snake += static_cast<char>(c - 'A' + 'a');
      } else {
        snake += c;
      }
    }
    if (value.is_null() || !field(snake, value)) return false;
  }
  return true;
}

template <typename Enum, typename Parse>
bool EnumOf(const json& v, Parse parse, bool (*valid)(int), Enum* out) {
  if (v.is_string()) return parse(v.get_ref<const std::string&>(), out);
  if (v.is_number_integer() && valid(v.get<int>())) {
    *out = static_cast<Enum>(v.get<int>());
    return true;
  }
  return false;
}

bool CompareFromJson(const json& body, etcdserverpb::Compare* c) {
  return EachField(body, [&](const std::string& f, const json& v) {
    std::string bytes;
    int64_t n = 0;
    if (f == "result") {
      etcdserverpb::Compare_CompareResult r;
      if (!EnumOf(v, etcdserverpb::Compare_CompareResult_Parse,
                  etcdserverpb::Compare_CompareResult_IsValid, &r)) {
        return false;
      }
      c->set_result(r);
      return true;
    }
    if (f == "target") {
      etcdserverpb::Compare_CompareTarget t;
      if (!EnumOf(v, etcdserverpb::Compare_CompareTarget_Parse,
                  etcdserverpb::Compare_CompareTarget_IsValid, &t)) {
        return false;
      }
      c->set_target(t);
      return true;
    }
    if (f == "key" && BytesOf(v, &bytes)) return c->set_key(std::move(bytes)), true;
    if (f == "range_end" && BytesOf(v, &bytes)) return c->set_range_end(std::move(bytes)), true;
    if (f == "value" && BytesOf(v, &bytes)) return c->set_value(std::move(bytes)), true;
    if (f == "version" && Int64Of(v, &n)) return c->set_version(n), true;
    if (f == "create_revision" && Int64Of(v, &n)) return c->set_create_revision(n), true;
    if (f == "mod_revision" && Int64Of(v, &n)) return c->set_mod_revision(n), true;
    if (f == "lease" && Int64Of(v, &n)) return c->set_lease(n), true;
    return false;
  });
}

bool OpsFromJson(const json& ops,
                 google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* out) {
  if (!ops.is_array()) return false;
  for (const json& op : ops) {
    etcdserverpb::RequestOp* r = out->Add();
    const bool ok = EachField(op, [&](const std::string& f, const json& v) {
      if (r->request_case() != etcdserverpb::RequestOp::REQUEST_NOT_SET)
        return false;  // 2 of a oneof
      if (f == "request_range") return RangeFromJson(v, r->mutable_request_range());
      if (f == "request_put") return PutFromJson(v, r->mutable_request_put());
      return false;
    });
    if (!ok) return false;
  }
  return true;
}

void Put64(json& o, const char* name, int64_t v) {
  if (v != 0) o[name] = std::to_string(v);
}
void PutU64(json& o, const char* name, uint64_t v) {
  if (v != 0) o[name] = std::to_string(v);
}
void PutBytes(json& o, const char* name, const std::string& v) {
  if (!v.empty()) o[name] = Base64Encode(v);
}

json HeaderJson(const etcdserverpb::ResponseHeader& h) {
  json o = json::object();
  PutU64(o, "cluster_id", h.cluster_id());
  PutU64(o, "member_id", h.member_id());
  Put64(o, "revision", h.revision());
  PutU64(o, "raft_term", h.raft_term());
  return o;
}

json KvJson(const mvccpb::KeyValue& kv) {
  json o = json::object();
  PutBytes(o, "key", kv.key());
  Put64(o, "create_revision", kv.create_revision());
  Put64(o, "mod_revision", kv.mod_revision());
  Put64(o, "version", kv.version());
  PutBytes(o, "value", kv.value());
  Put64(o, "lease", kv.lease());
  return o;
}

}  // namespace

bool RangeFromJson(const json& body, etcdserverpb::RangeRequest* out) {
  return EachField(body, [&](const std::string& f, const json& v) {
    std::string bytes;
    int64_t n = 0;
    bool b = false;
    if (f == "key" && BytesOf(v, &bytes)) return out->set_key(std::move(bytes)), true;
    if (f == "range_end" && BytesOf(v, &bytes)) return out->set_range_end(std::move(bytes)), true;
    if (f == "limit" && Int64Of(v, &n)) return out->set_limit(n), true;
    if (f == "revision" && Int64Of(v, &n)) return out->set_revision(n), true;
    if (f == "serializable" && BoolOf(v, &b)) return out->set_serializable(b), true;
    if (f == "keys_only" && BoolOf(v, &b)) return out->set_keys_only(b), true;
    if (f == "count_only" && BoolOf(v, &b)) return out->set_count_only(b), true;
    return false;
  });
}

bool PutFromJson(const json& body, etcdserverpb::PutRequest* out) {
  return EachField(body, [&](const std::string& f, const json& v) {
    std::string bytes;
    int64_t n = 0;
    bool b = false;
    if (f == "key" && BytesOf(v, &bytes)) return out->set_key(std::move(bytes)), true;
    if (f == "value" && BytesOf(v, &bytes)) return out->set_value(std::move(bytes)), true;
    if (f == "lease" && Int64Of(v, &n)) return out->set_lease(n), true;
    if (f == "prev_kv" && BoolOf(v, &b)) return out->set_prev_kv(b), true;
    if (f == "ignore_value" && BoolOf(v, &b)) return out->set_ignore_value(b), true;
    if (f == "ignore_lease" && BoolOf(v, &b)) return out->set_ignore_lease(b), true;
    return false;
  });
}

bool TxnFromJson(const json& body, etcdserverpb::TxnRequest* out) {
  return EachField(body, [&](const std::string& f, const json& v) {
    if (f == "compare") {
      if (!v.is_array()) return false;
      for (const json& c : v) {
        if (!CompareFromJson(c, out->add_compare())) return false;
      }
      return true;
    }
    if (f == "success") return OpsFromJson(v, out->mutable_success());
    if (f == "failure") return OpsFromJson(v, out->mutable_failure());
    return false;
  });
}

json ToJson(const etcdserverpb::RangeResponse& r) {
  json o = json::object();
  if (r.has_header()) o["header"] = HeaderJson(r.header());
  if (r.kvs_size() > 0) {
    json kvs = json::array();
    for (const mvccpb::KeyValue& kv : r.kvs()) kvs.push_back(KvJson(kv));
    o["kvs"] = std::move(kvs);
  }
  if (r.more()) o["more"] = true;
  Put64(o, "count", r.count());
  return o;
}

json ToJson(const etcdserverpb::PutResponse& r) {
  json o = json::object();
  if (r.has_header()) o["header"] = HeaderJson(r.header());
  if (r.has_prev_kv()) o["prev_kv"] = KvJson(r.prev_kv());
  return o;
}

std::optional<json> ToJson(const etcdserverpb::TxnResponse& r) {
  json o = json::object();
  if (r.has_header()) o["header"] = HeaderJson(r.header());
  if (r.succeeded()) o["succeeded"] = true;
  if (r.responses_size() > 0) {
    json ops = json::array();
    for (const etcdserverpb::ResponseOp& op : r.responses()) {
      switch (op.response_case()) {
        case etcdserverpb::ResponseOp::kResponseRange:
          ops.push_back({{"response_range", ToJson(op.response_range())}});
          break;
        case etcdserverpb::ResponseOp::kResponsePut:
          ops.push_back({{"response_put", ToJson(op.response_put())}});
          break;
        case etcdserverpb::ResponseOp::RESPONSE_NOT_SET:
          ops.push_back(json::object());
          break;
        default:
          return std::nullopt;
      }
    }
    o["responses"] = std::move(ops);
  }
  return o;
}

}  // namespace splitbrain::clients::etcd
