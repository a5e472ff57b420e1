#include "checker/unique_values.h"

#include <filesystem>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checker/brute_force.h"
#include "checker/checker.h"
#include "checker/history_gen.h"
#include "checker/test_history.h"
#include "records/history_file.h"
#include "records/history_jsonl.h"

namespace splitbrain::checker {
namespace {

struct Verdict {
  Validity valid = Validity::kUnknown;
  int64_t unique_value_keys = 0;
  nlohmann::json json;
};

// Values as recorded (no split by sources, read_sources.h): these tests are about which path
// decides, and a split can make repeated values unique or refute a read before either runs.
Verdict Check(const History& h, bool unique_values, double timeout_s = 0) {
  LinearizableOptions o;
  o.unique_values = unique_values;
  o.split_values = false;
  o.budget.threads = 1;
  o.budget.timeout_s = timeout_s;
  o.budget.max_memory_bytes = int64_t{512} << 20;
  auto r = CheckLinearizable(h, o);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  return {r->valid, r->json.value("unique_value_keys", int64_t{0}), r->json};
}

using testing::Parse;

std::string RegisterOp(int p, const std::string& f, const std::string& value,
                       const std::string& type, const std::string& out) {
  std::string inv = "{\"process\":" + std::to_string(p) + ",\"type\":\"invoke\",\"f\":\"" + f +
                    "\",\"value\":" + value + "}\n";
  if (type.empty()) return inv;
  return inv + "{\"process\":" + std::to_string(p) + ",\"type\":\"" + type + "\",\"f\":\"" + f +
         "\",\"value\":" + out + "}\n";
}

// Plants an anomaly: an ok read now returns another value some operation wrote (or null), or a
// stale read where the history has one.
void Plant(History* h, Rng& rng) {
  if (rng.Chance(0.3) && InjectStaleRead(h, rng, rng.Chance(0.5))) return;
  std::vector<size_t> reads;
  std::vector<std::string> written = {"null"};
  for (size_t i = 0; i < h->ops.size(); ++i) {
    const Operation& op = h->ops[i];
    const std::string f = h->Str(op.f);
    if (f == "read" && op.result == Outcome::kOk) reads.push_back(i);
    if (f == "write") written.push_back(h->Str(op.value));
    if (f == "cas") written.push_back(nlohmann::json::parse(h->Str(op.value))[1].dump());
  }
  if (reads.empty()) return;
  h->ops[reads[rng.Uniform(reads.size())]].output = h->Intern(written[rng.Uniform(written.size())]);
}

// The fast path, the search and the brute force agree on small random histories whose writes
// are unique (GenOptions::values = 0), with crashed and refused clients, cas, several keys, and
// planted anomalies in half of them.
TEST(UniqueValuesTest, AgreesWithBruteForceAndTheSearchOnSmallHistories) {
  int valid = 0, invalid = 0, with_info = 0, with_cas = 0;
  for (uint64_t seed = 1; seed <= 6000; ++seed) {
    Rng rng(seed * 6151);
    GenOptions g;
    g.seed = seed;
    g.values = 0;
    g.processes = static_cast<int>(rng.Range(2, 5));
    g.keys = static_cast<int>(rng.Range(1, 2));
    g.ops = rng.Range(3, 11);
    g.read_share = 0.4;
    g.write_share = rng.Chance(0.5) ? 0.3 : 0.15;
    g.info_share = rng.Chance(0.6) ? (rng.Chance(0.5) ? 0.2 : 0.5) : 0;
    g.fail_share = 0.05;
    g.max_duration = rng.Range(1, 60);
    History h = GenerateRegisterHistory(g);
    if (rng.Chance(0.5)) Plant(&h, rng);
    bool info = false, cas = false;
    for (const auto& op : h.ops) {
      info |= op.result == Outcome::kUnknown;
      cas |= h.Str(op.f) == "cas" && op.result != Outcome::kFail;
    }
    const bool expected = BruteForceLinearizable(h);
    const Verdict fast = Check(h, true);
    const Verdict search = Check(h, false);
    const Validity want = expected ? Validity::kValid : Validity::kInvalid;
    ASSERT_EQ(search.valid, want) << "seed " << seed << "\n" << HistoryToJsonl(h);
    ASSERT_EQ(fast.valid, want) << "seed " << seed << " " << fast.json.dump() << "\n"
                                << HistoryToJsonl(h);
    // Every key had unique values: the fast path decided every one it reached (an invalid key
    // stops the others), the search none.
    if (fast.valid == Validity::kValid) {
      ASSERT_EQ(fast.unique_value_keys, fast.json["keys"].get<int64_t>()) << "seed " << seed;
    } else {
      ASSERT_GE(fast.unique_value_keys, 1) << "seed " << seed;
    }
    ASSERT_EQ(search.unique_value_keys, 0);
    if (fast.valid == Validity::kInvalid) {
      ASSERT_TRUE(fast.json["details"].contains("op")) << fast.json.dump();
      ASSERT_NE(fast.json["explanation"].get<std::string>().find("cannot be placed"),
                std::string::npos)
          << fast.json.dump();
    }
    (expected ? valid : invalid)++;
    with_info += info;
    with_cas += cas;
  }
  EXPECT_GT(valid, 1500);
  EXPECT_GT(invalid, 1500);
  EXPECT_GT(with_info, 1500);
  EXPECT_GT(with_cas, 1500);
}

// Larger histories than the brute force can take: the fast path and the search agree.
TEST(UniqueValuesTest, AgreesWithTheSearchOnLongerConcurrentHistories) {
  int compared = 0, invalid = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    Rng rng(seed * 31337);
    GenOptions g;
    g.seed = seed;
    g.values = 0;
    g.processes = static_cast<int>(rng.Range(3, 12));
    g.ops = rng.Range(20, 120);
    g.info_share = rng.Chance(0.5) ? 0.1 : 0;
    g.fail_share = 0.03;
    g.max_duration = rng.Range(5, 100);
    History h = GenerateRegisterHistory(g);
    if (rng.Chance(0.5)) Plant(&h, rng);
    const Verdict fast = Check(h, true);
    ASSERT_EQ(fast.unique_value_keys, 1);
    const Verdict search = Check(h, false, 20);
    if (search.valid == Validity::kUnknown) continue;
    ASSERT_EQ(fast.valid, search.valid) << "seed " << seed << " " << fast.json.dump() << "\n"
                                        << HistoryToJsonl(h);
    ++compared;
    invalid += fast.valid == Validity::kInvalid;
  }
  EXPECT_GT(compared, 140);
  EXPECT_GT(invalid, 30);
}

TEST(UniqueValuesTest, RepeatedValuesFallBackToTheSearch) {
  // 1 is written twice: the fast path does not apply, the search decides.
  History h =
      Parse(RegisterOp(0, "write", "1", "ok", "1") + RegisterOp(1, "write", "1", "ok", "1") +
            RegisterOp(0, "read", "null", "ok", "1"));
  Verdict v = Check(h, true);
  EXPECT_EQ(v.valid, Validity::kValid);
  EXPECT_EQ(v.unique_value_keys, 0);
  // Writing the initial value is a repeat too.
  History w = Parse(RegisterOp(0, "write", "null", "ok", "null") +
                    RegisterOp(0, "read", "null", "ok", "null"));
  EXPECT_EQ(Check(w, true).unique_value_keys, 0);
  // A failed write does not count: it did not happen.
  History f =
      Parse(RegisterOp(0, "write", "1", "ok", "1") + RegisterOp(1, "write", "1", "fail", "1") +
            RegisterOp(0, "read", "null", "ok", "1"));
  EXPECT_EQ(Check(f, true).unique_value_keys, 1);
}

// The check's own words, used where the search cannot explain in time. Value ids index the
// table: 0 is null (the initial value), then "1", "2", "3", "7".
TEST(UniqueValuesTest, ExplainsWhatCannotBePlaced) {
  using internal::LinOp;
  using internal::RegisterModel;
  internal::ValueTable table;
  for (const char* t : {"null", "1", "2", "3", "7"}) table.texts.push_back(t);
  const auto op = &testing::MakeLinOp;
  const auto kR = RegisterModel::kRead, kW = RegisterModel::kWrite, kC = RegisterModel::kCas;
  const int64_t kInfo = std::numeric_limits<int64_t>::max();
  struct Case {
    std::vector<LinOp> ops;
    int64_t blocking_id;
    std::string words;
  };
  for (const Case& c : std::vector<Case>{
           // A read of a value nobody wrote.
           {{op(0, kW, 1, 0, 0, 0, 1), op(1, kR, 0, 0, 4, 2, 3)}, 1, "no operation writes"},
           // A stale read: 1 was overwritten by 2 before the read began.
           {{op(0, kW, 1, 0, 0, 0, 1), op(1, kW, 2, 0, 0, 2, 3), op(2, kR, 0, 0, 1, 4, 5)},
            1,
            "all that time the value 1 must be"},
           // Two cas ops replace the same value.
           {{op(0, kW, 1, 0, 0, 0, 1), op(1, kC, 1, 2, 0, 2, 3), op(2, kC, 1, 3, 0, 4, 5)},
            2,
            "op 2 and op 1 both replace 1"},
           // A read that returned before its write was invoked.
           {{op(0, kR, 0, 0, 3, 0, 1), op(1, kW, 3, 0, 0, 2, 3)}, 0, "returned before op 1"},
           // A cycle of info cas ops, read: neither can go first.
           {{op(0, kC, 1, 2, 0, 0, kInfo), op(1, kC, 2, 1, 0, 1, kInfo), op(2, kR, 0, 0, 1, 2, 3)},
            -1,
            "cycle"},
       }) {
    auto out = internal::CheckUniqueValues(table, 0, c.ops);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->verdict, internal::SearchVerdict::kInvalid) << c.words;
    if (c.blocking_id >= 0) {
      ASSERT_GE(out->blocking, 0);
      EXPECT_EQ(c.ops[out->blocking].id, c.blocking_id) << out->reason;
    }
    EXPECT_NE(out->reason.find(c.words), std::string::npos) << out->reason;
  }
  // Not unique: no verdict.
  EXPECT_FALSE(
      internal::CheckUniqueValues(table, 0, {op(0, kW, 1, 0, 0, 0, 1), op(1, kW, 1, 0, 0, 2, 3)})
          .has_value());
  // An info write whose value is read took effect; one whose value nobody read may be left out.
  auto info =
      internal::CheckUniqueValues(table, 0,
                                  {op(0, kW, 1, 0, 0, 0, kInfo), op(1, kW, 2, 0, 0, 1, kInfo),
                                   op(2, kR, 0, 0, 1, 2, 3), op(3, kR, 0, 0, 1, 4, 5)});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->verdict, internal::SearchVerdict::kValid);
  // Through CheckLinearizable: the verdict is the check's, the explanation the search's.
  History h =
      Parse(RegisterOp(0, "write", "1", "ok", "1") + RegisterOp(0, "write", "2", "ok", "2") +
            RegisterOp(1, "read", "null", "ok", "1"));
  Verdict v = Check(h, true);
  EXPECT_EQ(v.valid, Validity::kInvalid);
  EXPECT_EQ(v.unique_value_keys, 1);
  EXPECT_EQ(v.json["details"]["op"]["index"], 2) << v.json.dump();
  EXPECT_EQ(v.json["details"]["prefix_length"], 2) << v.json.dump();
}

// Every corpus file the fast path applies to gets the manifest's verdict from it (and from the
// search, as CorpusTest checks for every file).
TEST(UniqueValuesTest, AgreesWithTheCorpusWhereItApplies) {
  const std::filesystem::path dir = SPLITBRAIN_CORPUS_DIR;
  std::ifstream in(dir / "manifest.json");
  ASSERT_TRUE(in) << "the corpus is missing: " << dir;
  nlohmann::json manifest = nlohmann::json::parse(in);
  int applies = 0, register_files = 0;
  for (const auto& f : manifest["files"]) {
    if (f["model"] != "register") continue;
    ++register_files;
    auto h = records::ReadHistoryFile((dir / f["file"].get<std::string>()).string());
    ASSERT_TRUE(h.ok()) << h.status();
    const Verdict fast = Check(*h, true, 60);
    if (fast.unique_value_keys == 0) continue;
    ++applies;
    EXPECT_EQ(fast.valid, f["linearizable"].get<bool>() ? Validity::kValid : Validity::kInvalid)
        << f["file"] << " " << fast.json.dump();
  }
  EXPECT_EQ(register_files, 102);
  std::cout << "the unique-value check applies to " << applies << " of " << register_files
            << " register histories of the corpus\n";
}

}  // namespace
}  // namespace splitbrain::checker
