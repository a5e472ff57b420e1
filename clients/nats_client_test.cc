// The NATS client's outcomes (issue 16): an ack is ok, a publish JetStream refused or nobody
// took is fail, a timeout is unknown, and a publish to a member that cannot be reached is never
// sent (fail) — against a real closed port on 127.0.0.1.
#include "clients/nats_client.h"

#include <gtest/gtest.h>

#include "clients/fake_members.h"

namespace splitbrain::clients {
namespace {

using records::Outcome;
using records::Refusal;

TEST(NatsClientTest, ReplicasAreThreeOrFive) {
  EXPECT_EQ(nats::Replicas(1), 1);
  EXPECT_EQ(nats::Replicas(3), 3);
  EXPECT_EQ(nats::Replicas(4), 3);
  EXPECT_EQ(nats::Replicas(5), 5);
  EXPECT_EQ(nats::Replicas(7), 5);
}

TEST(NatsClientTest, PublishOutcomes) {
  const jsErrCode none = static_cast<jsErrCode>(0);
  EXPECT_EQ(nats::PublishReply(NATS_OK, none, true, "").outcome, Outcome::kOk);
  // An ack-less timeout or a connection lost while waiting may have stored the message.
  records::Reply timeout = nats::PublishReply(NATS_TIMEOUT, none, false, "");
  EXPECT_EQ(timeout.outcome, Outcome::kUnknown);
  EXPECT_EQ(timeout.refusal, Refusal::kNone);
  EXPECT_EQ(nats::PublishReply(NATS_CONNECTION_CLOSED, none, false, "").outcome, Outcome::kUnknown);
  // Nobody took it, or JetStream itself refused it: certainly not stored.
  records::Reply none_there = nats::PublishReply(NATS_NO_RESPONDERS, none, false, "");
  EXPECT_EQ(none_there.outcome, Outcome::kFail);
  EXPECT_EQ(none_there.refusal, Refusal::kMember);
  records::Reply refused = nats::PublishReply(NATS_ERR, JSStreamNotFoundErr, false, "x");
  EXPECT_EQ(refused.outcome, Outcome::kFail);
  EXPECT_NE(refused.error.find("10059"), std::string::npos) << refused.error;
}

TEST(NatsClientTest, KvWriteOutcomes) {
  EXPECT_EQ(nats::KvWriteReply(NATS_OK, "").outcome, Outcome::kOk);
  // JetStream's "wrong last sequence": the key moved past the revision the cas read.
  records::Reply moved = nats::KvWriteReply(NATS_ERR, "wrong last sequence: 7");
  EXPECT_EQ(moved.outcome, Outcome::kFail);
  EXPECT_EQ(moved.refusal, Refusal::kState);
  // Another answer from JetStream refusing the message: the member's refusal (retried).
  records::Reply refused = nats::KvWriteReply(NATS_ERR, "stream not found");
  EXPECT_EQ(refused.outcome, Outcome::kFail);
  EXPECT_EQ(refused.refusal, Refusal::kMember);
  EXPECT_EQ(nats::KvWriteReply(NATS_NO_RESPONDERS, "").outcome, Outcome::kFail);
  // No answer: the put may be stored.
  EXPECT_EQ(nats::KvWriteReply(NATS_TIMEOUT, "").outcome, Outcome::kUnknown);
  EXPECT_EQ(nats::KvWriteReply(NATS_CONNECTION_CLOSED, "").outcome, Outcome::kUnknown);
}

TEST(NatsClientTest, KvReadsNames) {
  EXPECT_EQ(nats::KvReadsFromName("direct"), nats::KvReads::kDirect);
  EXPECT_EQ(nats::KvReadsFromName("leader"), nats::KvReads::kLeader);
  EXPECT_FALSE(nats::KvReadsFromName("follower"));
  EXPECT_STREQ(nats::KvReadsName(nats::KvReads::kLeader), "leader");
}

TEST(NatsClientTest, UnreachableMembersRefuseBeforeSending) {
  const std::string addr = "127.0.0.1:" + std::to_string(ClosedPort());
  auto c = NewNatsClient({{"n1", addr}, {"n2", addr}}, 0, workloads::Placement::kHome, 1);
  records::Reply r =
      c->Send({{"op", "enqueue"}, {"key", "queue"}, {"value", 1}}, std::chrono::milliseconds(300));
  EXPECT_EQ(r.outcome, Outcome::kFail) << r.error;
  EXPECT_EQ(r.refusal, Refusal::kMember);
  EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
  // A register write to no reachable member is never sent either.
  records::Reply write =
      c->Send({{"op", "write"}, {"key", "r0"}, {"value", 1}}, std::chrono::milliseconds(300));
  EXPECT_EQ(write.outcome, Outcome::kFail) << write.error;
  EXPECT_EQ(write.refusal, Refusal::kMember);
  records::Reply bad =
      c->Send({{"op", "add"}, {"key", "s"}, {"value", 1}}, std::chrono::milliseconds(300));
  EXPECT_EQ(bad.outcome, Outcome::kFail);
  EXPECT_EQ(bad.refusal, Refusal::kInvalid);
  records::Reply keyless = c->Send({{"op", "read"}}, std::chrono::milliseconds(300));
  EXPECT_EQ(keyless.outcome, Outcome::kFail);
  EXPECT_EQ(keyless.refusal, Refusal::kInvalid);
}

}  // namespace
}  // namespace splitbrain::clients
