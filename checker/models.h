// The sequential specifications the linearizability search runs operations against, written
// from docs/FORMAT.md and independently of the node's state machine. Internal to checker/.
// A model works on compact states (uint32 ids it interns itself) and on LinOps prepared from a
// History. One model object per key and per thread: not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

namespace splitbrain::checker::internal {

constexpr uint32_t kNoValue = std::numeric_limits<uint32_t>::max();

// One operation of one key, ready for the search.
struct LinOp {
  uint32_t id = 0;        // index in History::ops
  uint8_t kind = 0;       // model-specific operation code
  uint32_t a = 0, b = 0;  // arguments (value ids)
  uint32_t out = 0;       // ok result (value id); kNoValue if the result can match nothing
  bool required = false;  // ok: must be linearized. Otherwise info: may be, at most once.
  int64_t call = 0;       // invocation event position
  int64_t ret = 0;        // completion event position; INT64_MAX for info
};

// Values are ids into a ValueTable shared read-only by all keys of one check.
struct ValueTable {
  std::vector<std::string> texts;    // canonical JSON
  std::vector<std::string> strings;  // decoded JSON string contents (kv); empty if not a string
  std::vector<bool> is_string;
  // Elements (value ids) of array values that set reads returned, by value id.
  std::unordered_map<uint32_t, std::vector<uint32_t>> arrays;
};

// JSON text of a string, for explanations.
std::string QuoteJson(const std::string& s);

// "op N": an operation as explanations name it (N its index in the history).
inline std::string OpName(const LinOp& op) { return "op " + std::to_string(op.id); }

// register: read / write / cas over JSON values; state = value id.
class RegisterModel {
 public:
  enum Kind : uint8_t { kRead, kWrite, kCas };
  static constexpr bool kInfoMustBeObserved = true;
  static constexpr bool kGrowOnly = false;
  // States are values, which an op writes (write, cas) or needs (read, cas): lin_search keeps
  // the state from leaving a value that a read still needs and nothing left could write again.
  static constexpr bool kValuesAreStates = true;
  static uint32_t WrittenValue(const LinOp& op) {
    return op.kind == kWrite ? op.a : op.kind == kCas ? op.b : kNoValue;
  }
  static uint32_t NeededValue(const LinOp& op) {
    return op.kind == kRead ? op.out : op.kind == kCas ? op.a : kNoValue;
  }
  static bool Resets(const LinOp&) { return false; }
  bool MayStillObserve(uint32_t, const LinOp&) const { return true; }
  RegisterModel(const ValueTable* values, uint32_t initial) : values_(values), init_(initial) {}
  uint32_t Init() const { return init_; }
  bool Step(uint32_t s, const LinOp& op, uint32_t* next) {
    switch (op.kind) {
      case kRead:
        *next = s;
        return op.out == s;
      case kWrite:
        *next = op.a;
        return true;
      default:
        *next = op.b;
        return op.a == s;
    }
  }
  // After an info write/cas is linearized, the next operation must observe its value: an info
  // write followed by a write could be left out (FORMAT.md's register semantics).
  static bool Observes(const LinOp& op) { return op.kind != kWrite; }
  // Never changes the state, in any state: a legal one can be linearized at once.
  static bool ReadOnly(const LinOp& op) { return op.kind == kRead; }
  void Bind(std::vector<LinOp>&) {}
  size_t Bytes() const { return 0; }
  std::string StateText(uint32_t s) const { return values_->texts[s]; }
  std::string Needed(const LinOp& op) const {
    if (op.kind == kRead) return values_->texts[op.out];
    if (op.kind == kCas) return values_->texts[op.a];
    return "any value";
  }

 private:
  const ValueTable* values_;
  uint32_t init_;
};

// An open-addressing hash map from 64-bit keys (never ~0) to uint32 values.
class FlatMap64 {
 public:
  FlatMap64() : keys_(64, kEmpty), vals_(64) {}
  bool Find(uint64_t k, uint32_t* v) const {
    size_t mask = keys_.size() - 1;
    for (size_t i = Mix(k) & mask;; i = (i + 1) & mask) {
      if (keys_[i] == k) {
        *v = vals_[i];
        return true;
      }
      if (keys_[i] == kEmpty) return false;
    }
  }
  void Insert(uint64_t k, uint32_t v) {
    if ((size_ + 1) * 2 > keys_.size()) Grow();
    size_t mask = keys_.size() - 1;
    size_t i = Mix(k) & mask;
    while (keys_[i] != kEmpty && keys_[i] != k) i = (i + 1) & mask;
    if (keys_[i] == kEmpty) ++size_;
    keys_[i] = k;
    vals_[i] = v;
  }
  size_t Bytes() const { return keys_.size() * 12; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t Mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }
  void Grow() {
    std::vector<uint64_t> k(keys_.size() * 2, kEmpty);
    std::vector<uint32_t> v(k.size());
    k.swap(keys_);
    v.swap(vals_);
    size_ = 0;
    for (size_t i = 0; i < k.size(); ++i) {
      if (k[i] != kEmpty) Insert(k[i], v[i]);
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> vals_;
  size_t size_ = 0;
};

// kv (Porcupine's 6.824 model): get / put / append over strings. A state is a node of a rope
// (a put's string, or a parent state plus an appended value) with a polynomial hash and length;
// equal strings get one id (a hash match is confirmed by comparing the strings), so states
// compare by id without building strings.
class KvModel {
 public:
  enum Kind : uint8_t { kGet, kPut, kAppend };
  static constexpr bool kInfoMustBeObserved = false;
  // Appends only extend the string: until a put, every later get sees an extension of it.
  static constexpr bool kGrowOnly = true;
  static constexpr bool kValuesAreStates = false;
  static uint32_t WrittenValue(const LinOp&) { return kNoValue; }
  static uint32_t NeededValue(const LinOp&) { return kNoValue; }
  static bool Resets(const LinOp& op) { return op.kind == kPut; }
  // False when the get can certainly not return an extension of state s (exact: the hashes of
  // s and of the get's prefix of the same length differ, so the strings differ).
  bool MayStillObserve(uint32_t s, const LinOp& get) const {
    if (get.kind != kGet || get.out == kNoValue) return true;
    const std::vector<uint64_t>& prefix = prefix_[get.out];
    const Node& n = nodes_[s];
    if (n.len >= prefix.size()) return false;
    return prefix[n.len] == n.hash;
  }
  explicit KvModel(const ValueTable* values) : values_(values) {
    nodes_.push_back({0, kNoValue, kNoValue, 0});  // ""
    by_hash_.Insert(Key(0, 0), 0);
    chain_.push_back(kNoValue);
  }
  uint32_t Init() const { return 0; }
  // The state holding a value's string (a get's result, a put's argument).
  uint32_t StateOfValue(uint32_t value_id) {
    if (value_id == kNoValue || !values_->is_string[value_id]) return kNoValue;
    const std::string& text = values_->strings[value_id];
    if (text.empty()) return 0;
    Node n{HashOf(text), kNoValue, value_id, static_cast<uint32_t>(text.size())};
    return Intern(n, &text);
  }
  void Bind(std::vector<LinOp>& ops) {
    for (LinOp& op : ops) {
      if (op.kind == kPut) op.b = StateOfValue(op.a);
      if (op.kind != kGet) continue;
      uint32_t value = op.out;
      op.out = StateOfValue(value);
      if (op.out == kNoValue) continue;
      if (prefix_.size() <= op.out) prefix_.resize(op.out + 1);
      if (!prefix_[op.out].empty()) continue;
      const std::string& t = values_->strings[value];
      std::vector<uint64_t>& p = prefix_[op.out];
      p.reserve(t.size() + 1);
      uint64_t h = 0;
      p.push_back(0);
      for (unsigned char c : t) {
        h = h * kBase + c + 1;
        p.push_back(h);
      }
      prefix_bytes_ += p.capacity() * 8;
    }
  }
  bool Step(uint32_t s, const LinOp& op, uint32_t* next) {
    switch (op.kind) {
      case kGet:
        *next = s;
        return op.out == s;
      case kPut:
        *next = op.b;
        return true;
      default: {
        uint64_t k = (static_cast<uint64_t>(s) << 32) | op.a;
        if (appends_.Find(k, next)) return true;
        const std::string& t = values_->strings[op.a];
        const Node& p = nodes_[s];
        Node n{p.hash * Pow(t.size()) + HashOf(t), s, op.a,
               static_cast<uint32_t>(p.len + t.size())};
        *next = t.empty() ? s : Intern(n, nullptr);
        appends_.Insert(k, *next);
        return true;
      }
    }
  }
  static bool Observes(const LinOp&) { return true; }
  static bool ReadOnly(const LinOp& op) { return op.kind == kGet; }
  std::string StateText(uint32_t s) const { return QuoteJson(Text(s)); }
  std::string Needed(const LinOp& op) const {
    if (op.kind == kGet && op.out != kNoValue) return StateText(op.out);
    if (op.kind == kGet) return "a value no string has";
    return "any value";
  }
  size_t Bytes() const {
    return nodes_.capacity() * sizeof(Node) + chain_.capacity() * 4 + appends_.Bytes() +
           by_hash_.Bytes() + prefix_bytes_;
  }

 private:
  struct Node {
    uint64_t hash;
    uint32_t parent;  // kNoValue: the root of a rope (the string is `value`'s, or "")
    uint32_t value;   // the appended (or put) value id
    uint32_t len;
  };
  static constexpr uint64_t kBase = 1000003;
  static uint64_t HashOf(const std::string& t) {
    uint64_t h = 0;
    for (unsigned char c : t) h = h * kBase + c + 1;
    return h;
  }
  static uint64_t Pow(size_t e) {
    uint64_t r = 1, b = kBase;
    while (e) {
      if (e & 1) r *= b;
      b *= b;
      e >>= 1;
    }
    return r;
  }
  static uint64_t Key(uint64_t hash, uint32_t len) {
    uint64_t k = hash ^ (static_cast<uint64_t>(len) * 0x9E3779B97F4A7C15ull);
    return k == ~uint64_t{0} ? 0 : k;
  }
  std::string Text(uint32_t s) const {
    std::vector<uint32_t> parts;
    for (uint32_t x = s; x != kNoValue; x = nodes_[x].parent) {
      if (nodes_[x].value != kNoValue) parts.push_back(nodes_[x].value);
    }
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += values_->strings[*it];
    return out;
  }
  // The id of the string node n denotes (text: that string when known).
  uint32_t Intern(const Node& n, const std::string* text) {
    uint64_t k = Key(n.hash, n.len);
    uint32_t first;
    std::string built;
    if (by_hash_.Find(k, &first)) {
      if (!text) {
        // Compare against the candidate's string: build it from its parent and value.
        built = Text(n.parent) + values_->strings[n.value];
        text = &built;
      }
      for (uint32_t x = first; x != kNoValue; x = chain_[x]) {
        if (nodes_[x].len == n.len && nodes_[x].hash == n.hash && Text(x) == *text) return x;
      }
    } else {
      first = kNoValue;
    }
    uint32_t id = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(n);
    chain_.push_back(first);
    by_hash_.Insert(k, id);
    return id;
  }
  const ValueTable* values_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> chain_;  // next node with the same (hash, len) key
  FlatMap64 by_hash_;
  FlatMap64 appends_;
  std::vector<std::vector<uint64_t>> prefix_;  // by get-result state: hashes of its prefixes
  size_t prefix_bytes_ = 0;
};

// mutex: acquire / release; state 0 = free, 1 = held.
class MutexModel {
 public:
  enum Kind : uint8_t { kAcquire, kRelease };
  static constexpr bool kInfoMustBeObserved = false;
  static constexpr bool kGrowOnly = false;
  static constexpr bool kValuesAreStates = false;
  static uint32_t WrittenValue(const LinOp&) { return kNoValue; }
  static uint32_t NeededValue(const LinOp&) { return kNoValue; }
  static bool Resets(const LinOp&) { return false; }
  bool MayStillObserve(uint32_t, const LinOp&) const { return true; }
  uint32_t Init() const { return 0; }
  bool Step(uint32_t s, const LinOp& op, uint32_t* next) {
    if (op.kind == kAcquire) {
      *next = 1;
      return s == 0;
    }
    *next = 0;
    return s == 1;
  }
  static bool Observes(const LinOp&) { return true; }
  static bool ReadOnly(const LinOp&) { return false; }
  void Bind(std::vector<LinOp>&) {}
  size_t Bytes() const { return 0; }
  std::string StateText(uint32_t s) const { return s ? "held" : "free"; }
  std::string Needed(const LinOp& op) const { return op.kind == kAcquire ? "free" : "held"; }
};

// set: add(v) / read → the whole set; state = interned sorted element list.
class SetModel {
 public:
  enum Kind : uint8_t { kAdd, kRead };
  static constexpr bool kInfoMustBeObserved = false;
  static constexpr bool kGrowOnly = false;
  static constexpr bool kValuesAreStates = false;
  static uint32_t WrittenValue(const LinOp&) { return kNoValue; }
  static uint32_t NeededValue(const LinOp&) { return kNoValue; }
  static bool Resets(const LinOp&) { return false; }
  bool MayStillObserve(uint32_t, const LinOp&) const { return true; }
  explicit SetModel(const ValueTable* values) : values_(values) { Intern({}); }
  void Bind(std::vector<LinOp>& ops) {
    for (LinOp& op : ops) {
      if (op.kind != kRead) continue;
      auto it = values_->arrays.find(op.out);
      op.out = it == values_->arrays.end() ? kNoValue : StateOfElements(it->second);
    }
  }
  std::string Needed(const LinOp& op) const {
    return op.kind == kRead && op.out != kNoValue ? StateText(op.out) : "any set";
  }
  uint32_t Init() const { return 0; }
  // A read's result as a state; kNoValue when it lists an element twice (matches no set).
  uint32_t StateOfElements(std::vector<uint32_t> elems) {
    std::sort(elems.begin(), elems.end());
    if (std::adjacent_find(elems.begin(), elems.end()) != elems.end()) return kNoValue;
    return Intern(elems);
  }
  bool Step(uint32_t s, const LinOp& op, uint32_t* next) {
    if (op.kind == kRead) {
      *next = s;
      return op.out == s;
    }
    uint64_t k = (static_cast<uint64_t>(s) << 32) | op.a;
    auto it = adds_.find(k);
    if (it != adds_.end()) {
      *next = it->second;
      return true;
    }
    std::vector<uint32_t> e = sets_[s];
    auto pos = std::lower_bound(e.begin(), e.end(), op.a);
    if (pos == e.end() || *pos != op.a) e.insert(pos, op.a);
    uint32_t n = Intern(e);
    adds_.emplace(k, n);
    *next = n;
    return true;
  }
  static bool Observes(const LinOp&) { return true; }
  static bool ReadOnly(const LinOp& op) { return op.kind == kRead; }
  std::string StateText(uint32_t s) const {
    std::string t = "[";
    for (size_t i = 0; i < sets_[s].size(); ++i) {
      if (i) t += ",";
      t += values_->texts[sets_[s][i]];
    }
    return t + "]";
  }
  size_t Bytes() const { return bytes_; }

 private:
  struct VecHash {
    size_t operator()(const std::vector<uint32_t>& v) const {
      uint64_t h = 1469598103934665603ull;
      for (uint32_t x : v) h = (h ^ x) * 1099511628211ull;
      return h;
    }
  };
  uint32_t Intern(const std::vector<uint32_t>& e) {
    auto it = ids_.find(e);
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(sets_.size());
    sets_.push_back(e);
    ids_.emplace(e, id);
    bytes_ += 8 * e.size() + 96;
    return id;
  }
  const ValueTable* values_;
  std::vector<std::vector<uint32_t>> sets_;
  std::unordered_map<std::vector<uint32_t>, uint32_t, VecHash> ids_;
  std::unordered_map<uint64_t, uint32_t> adds_;
  size_t bytes_ = 0;
};

}  // namespace splitbrain::checker::internal
