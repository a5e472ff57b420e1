// The ZooKeeper client's outcomes (issue 17): what each return code means for a read and for a
// write, the fencing token from a sequential znode's name, and a member that cannot be reached
// refusing before anything is sent — against a real closed port on 127.0.0.1.
#include "clients/zookeeper_client.h"

#include <zookeeper/zookeeper.h>

#include <gtest/gtest.h>

#include "clients/fake_members.h"

namespace splitbrain::clients {
namespace {

using records::Outcome;
using records::Refusal;

TEST(ZookeeperClientTest, ReturnCodesMeanOkFailOrUnknown) {
  EXPECT_EQ(zookeeper::ReplyFor(ZOK, true, "set").outcome, Outcome::kOk);
  EXPECT_EQ(zookeeper::ReplyFor(ZOK, false, "get").outcome, Outcome::kOk);
  // The operation's own refusals stand, for reads and writes alike.
  for (int rc : {ZBADVERSION, ZNONODE, ZNODEEXISTS, ZNOTEMPTY}) {
    for (bool write : {true, false}) {
      records::Reply r = zookeeper::ReplyFor(rc, write, "x");
      EXPECT_EQ(r.outcome, Outcome::kFail) << rc;
      EXPECT_EQ(r.refusal, Refusal::kState) << rc;
    }
  }
  EXPECT_EQ(zookeeper::ReplyFor(ZBADARGUMENTS, true, "x").refusal, Refusal::kInvalid);
  // The handle sent nothing: another member may take it.
  records::Reply unsent = zookeeper::ReplyFor(ZINVALIDSTATE, true, "set /k");
  EXPECT_EQ(unsent.outcome, Outcome::kFail);
  EXPECT_EQ(unsent.refusal, Refusal::kMember);
  // Sent, and then the connection, the session or the deadline went: a write may have been
  // committed (unknown); a read changed nothing (fail, tried elsewhere).
  for (int rc : std::initializer_list<int>{ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED,
                                           ZSESSIONMOVED, ZCLOSING, zookeeper::kNoAnswer}) {
    records::Reply w = zookeeper::ReplyFor(rc, true, "set /k");
    EXPECT_EQ(w.outcome, Outcome::kUnknown) << rc;
    EXPECT_NE(w.error.find("set /k"), std::string::npos) << w.error;
    records::Reply r = zookeeper::ReplyFor(rc, false, "get /k");
    EXPECT_EQ(r.outcome, Outcome::kFail) << rc;
    EXPECT_EQ(r.refusal, Refusal::kMember) << rc;
  }
  EXPECT_NE(zookeeper::ReplyFor(zookeeper::kNoAnswer, true, "x").error.find("deadline"),
            std::string::npos);
}

TEST(ZookeeperClientTest, FencingTokenIsTheSequenceNumber) {
  EXPECT_EQ(zookeeper::SequenceOf("lock-0000000042"), 42);
  EXPECT_EQ(zookeeper::SequenceOf("0000000000"), 0);
  EXPECT_EQ(zookeeper::SequenceOf("lock-2147483647"), 2147483647);
  EXPECT_FALSE(zookeeper::SequenceOf("lock-"));
  EXPECT_FALSE(zookeeper::SequenceOf("lock-00000000x2"));
}

TEST(ZookeeperClientTest, ReadsNames) {
  EXPECT_EQ(zookeeper::ReadsFromName("plain"), zookeeper::Reads::kPlain);
  EXPECT_EQ(zookeeper::ReadsFromName("sync"), zookeeper::Reads::kSync);
  EXPECT_FALSE(zookeeper::ReadsFromName("direct"));
  EXPECT_STREQ(zookeeper::ReadsName(zookeeper::Reads::kPlain), "plain");
}

TEST(ZookeeperClientTest, UnreachableMembersRefuseBeforeSending) {
  const std::string addr = "127.0.0.1:" + std::to_string(ClosedPort());
  auto c = NewZookeeperClient({{"n1", addr}, {"n2", addr}}, 0, workloads::Placement::kHome, 1,
                              zookeeper::Reads::kSync);
  for (const char* op : {"write", "read", "cas"}) {
    records::Reply r = c->Send({{"op", op}, {"key", "r0"}, {"value", 1}, {"expected", 0}},
                               std::chrono::milliseconds(400));
    EXPECT_EQ(r.outcome, Outcome::kFail) << op << ": " << r.error;
    EXPECT_EQ(r.refusal, Refusal::kMember) << op;
    EXPECT_NE(r.error.find("did not take the session"), std::string::npos) << r.error;
  }
  records::Reply bad =
      c->Send({{"op", "enqueue"}, {"key", "q"}, {"value", 1}}, std::chrono::milliseconds(300));
  EXPECT_EQ(bad.outcome, Outcome::kFail);
  EXPECT_EQ(bad.refusal, Refusal::kInvalid);
  records::Reply keyless = c->Send({{"op", "read"}}, std::chrono::milliseconds(300));
  EXPECT_EQ(keyless.refusal, Refusal::kInvalid);
  // A release without an acquire is this process's own mistake.
  records::Reply release =
      c->Send({{"op", "release"}, {"key", "l0"}, {"token", 1}}, std::chrono::milliseconds(300));
  EXPECT_EQ(release.outcome, Outcome::kFail);
  EXPECT_EQ(release.refusal, Refusal::kState);
}

}  // namespace
}  // namespace splitbrain::clients
