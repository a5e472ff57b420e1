#include "workloads/workload.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace splitbrain::workloads {
namespace {

TEST(WorkloadTest, RegisterCommandsMatchTheNodeLanguage) {
  auto w = MakeWorkload({.name = "register", .keys = 2});
  ASSERT_TRUE(w.ok());
  ProcessState st;
  Op cas{"cas", "r1", nlohmann::json::array({1, 2})};
  EXPECT_EQ((*w)->ToCommand(cas, st),
            nlohmann::json::parse(R"({"op":"cas","key":"r1","expected":1,"value":2})"));
  EXPECT_EQ((*w)->OkValue(cas, 2), nlohmann::json::array({1, 2}));
  EXPECT_EQ((*w)->OkValue({"read", "r1", nullptr}, 3), 3);
  EXPECT_EQ((*w)->FinalReads().size(), 2u);
  auto g = (*w)->MakeGenerator(Rng(1));
  std::set<std::string> fs;
  for (int i = 0; i < 200; ++i) fs.insert(g->Next({}).op.f);
  EXPECT_EQ(fs, (std::set<std::string>{"read", "write", "cas"}));
}

// Issue 20: by default every write and cas writes a value never written before (the checker
// then knows which write each read saw), and a cas expects one of its key's latest values;
// `values: N` keeps the small domain [0, N) that value collisions need.
TEST(WorkloadTest, RegisterWritesUniqueValuesUnlessGivenADomain) {
  auto w = MakeWorkload({.name = "register", .keys = 3});
  ASSERT_TRUE(w.ok());
  auto g = (*w)->MakeGenerator(Rng(5));
  std::set<int64_t> written;
  std::map<std::string, std::vector<int64_t>> per_key;
  int cas = 0, writes = 0, cas_on_recent = 0;
  for (int i = 0; i < 3000; ++i) {
    Op op = g->Next({}).op;
    if (op.f == "read") continue;
    const int64_t v = op.f == "write" ? op.value.get<int64_t>() : op.value[1].get<int64_t>();
    EXPECT_TRUE(written.insert(v).second) << "value " << v << " written twice";
    auto& mine = per_key[*op.key];
    if (op.f == "cas") {
      ++cas;
      const int64_t expected = op.value[0].get<int64_t>();
      // One of the key's three latest values: a cas can succeed.
      for (size_t back = 1; back <= 3 && back <= mine.size(); ++back) {
        if (mine[mine.size() - back] == expected) ++cas_on_recent;
      }
    } else {
      ++writes;
    }
    mine.push_back(v);
  }
  EXPECT_GT(cas, 300);
  EXPECT_GT(writes, 300);
  EXPECT_EQ(cas_on_recent, cas);
  auto small = MakeWorkload({.name = "register", .keys = 3, .values = 5});
  ASSERT_TRUE(small.ok());
  auto gs = (*small)->MakeGenerator(Rng(5));
  std::set<int64_t> domain;
  for (int i = 0; i < 1000; ++i) {
    Op op = gs->Next({}).op;
    if (op.f == "write") domain.insert(op.value.get<int64_t>());
    if (op.f == "cas") {
      domain.insert(op.value[0].get<int64_t>());
      domain.insert(op.value[1].get<int64_t>());
    }
  }
  EXPECT_EQ(domain, (std::set<int64_t>{0, 1, 2, 3, 4}));
}

TEST(WorkloadTest, SetAddsAreUnique) {
  auto w = MakeWorkload({.name = "set"});
  ASSERT_TRUE(w.ok());
  auto g = (*w)->MakeGenerator(Rng(2));
  std::set<int64_t> seen;
  for (int i = 0; i < 500; ++i) {
    auto op = g->Next({}).op;
    if (op.f == "add") {
      EXPECT_TRUE(seen.insert(op.value.get<int64_t>()).second);
    }
  }
  EXPECT_EQ((*w)->ToCommand({"add", "s0", 7}, {}),
            nlohmann::json::parse(R"({"op":"set-add","key":"s0","value":7})"));
  // Every set that received an element gets a final read.
  EXPECT_EQ((*w)->FinalReads().size(), static_cast<size_t>((seen.size() - 1) / 500 + 1));
}

// Issue 16: the queue sends each value once, creates its log first, and reads it whole from
// several readers at the end.
TEST(WorkloadTest, QueueEnqueuesUniqueValuesAndReadsFromEveryReader) {
  auto w = MakeWorkload({.name = "queue"});
  ASSERT_TRUE(w.ok());
  auto g = (*w)->MakeGenerator(Rng(4));
  std::set<int64_t> seen;
  for (int i = 0; i < 300; ++i) {
    auto op = g->Next({}).op;
    ASSERT_EQ(op.f, "enqueue");
    EXPECT_TRUE(seen.insert(op.value.get<int64_t>()).second);
  }
  EXPECT_EQ((*w)->ToCommand({"enqueue", std::nullopt, 7}, {}),
            nlohmann::json::parse(R"({"op":"enqueue","key":"queue","value":7})"));
  ASSERT_EQ((*w)->SetupCommands().size(), 1u);
  EXPECT_EQ((*w)->SetupCommands()[0]["op"], "queue-create");
  const auto reads = (*w)->FinalReads();
  ASSERT_EQ(reads.size(), 3u);
  for (size_t i = 0; i < reads.size(); ++i) {
    EXPECT_EQ((*w)->ToCommand(reads[i], {}),
              (nlohmann::json{{"op", "queue-read"}, {"key", "queue"}, {"reader", i}}));
  }
  EXPECT_EQ(FindWorkloadKind("queue")->default_checkers[0], "queue");
}

TEST(WorkloadTest, BankConservesItsTotalAndNeverTransfersToSelf) {
  auto w = MakeWorkload({.name = "bank", .accounts = 4, .initial_balance = 10});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->BankTotal(), 40);
  auto setup = (*w)->SetupCommands();
  ASSERT_EQ(setup.size(), 1u);
  EXPECT_EQ(setup[0]["accounts"].size(), 4u);
  auto g = (*w)->MakeGenerator(Rng(3));
  for (int i = 0; i < 300; ++i) {
    auto op = g->Next({}).op;
    if (op.f == "transfer") {
      EXPECT_NE(op.value["from"], op.value["to"]);
    }
  }
}

TEST(WorkloadTest, LockReleasesWhatItHolds) {
  auto w = MakeWorkload({.name = "lock", .keys = 1});
  ASSERT_TRUE(w.ok());
  ProcessState st;
  st.process = 4;
  Op op = (*w)->MakeGenerator(Rng(1))->Next({}).op;
  (*w)->Prepare(op, st);
  EXPECT_EQ(op.f, "acquire");
  EXPECT_EQ((*w)->ToCommand(op, st)["owner"], "p4");
  (*w)->Observe(op, records::Outcome::kOk, 17, st);
  Op next = (*w)->MakeGenerator(Rng(1))->Next({}).op;
  (*w)->Prepare(next, st);
  EXPECT_EQ(next.f, "release");
  EXPECT_EQ(next.value, 17);
  EXPECT_EQ((*w)->ToCommand(next, st)["token"], 17);
  (*w)->Observe(next, records::Outcome::kOk, 17, st);
  EXPECT_TRUE(st.held_token.is_null());
}

TEST(WorkloadTest, LockHolderHoldsThenReleasesAtTheEnd) {
  auto w = MakeWorkload({.name = "lock", .keys = 1, .lock_hold_ms = 4000});
  ASSERT_TRUE(w.ok());
  ProcessState st;
  Op acquire = (*w)->MakeGenerator(Rng(1))->Next({}).op;
  EXPECT_EQ((*w)->HoldAfterNs(acquire, records::Outcome::kOk), 4'000'000'000);
  EXPECT_EQ((*w)->HoldAfterNs(acquire, records::Outcome::kFail), 0);
  EXPECT_TRUE((*w)->CleanupOps(st).empty()) << "nothing held, nothing to release";
  (*w)->Observe(acquire, records::Outcome::kOk, 23, st);
  auto cleanup = (*w)->CleanupOps(st);
  ASSERT_EQ(cleanup.size(), 1u);
  EXPECT_EQ(cleanup[0].f, "release");
  EXPECT_EQ(cleanup[0].value, 23);
  EXPECT_EQ(*cleanup[0].key, *acquire.key);
  // Other workloads hold nothing between operations.
  auto reg = MakeWorkload({.name = "register"});
  EXPECT_TRUE((*reg)->CleanupOps(st).empty());
  EXPECT_EQ((*reg)->HoldAfterNs(acquire, records::Outcome::kOk), 0);
}

TEST(WorkloadTest, UnknownWorkloadIsAnError) { EXPECT_FALSE(MakeWorkload({.name = "stack"}).ok()); }

}  // namespace
}  // namespace splitbrain::workloads
