// Deployment history: codec round trip, serving/in-progress queries, rollback targets and
// retention that never drops the serving deployment.
#include <gtest/gtest.h>

#include <filesystem>

#include "agent/supervisor/deployment.h"
#include "test_env.h"

namespace spacelet::agent::supervisor {
namespace {

Deployment make(std::string sha, Outcome outcome, std::string image = "sha256:1") {
  Deployment d;
  d.sha = std::move(sha);
  d.outcome = outcome;
  d.image = std::move(image);
  return d;
}

TEST(DeploymentHistory, AssignsSequenceAndRoundTrips) {
  DeploymentHistory h;
  auto& first = h.add(make(std::string(40, 'a'), Outcome::kReplaced));
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.buildSeq, 1);
  Deployment rollback = make(std::string(40, 'a'), Outcome::kServing);
  rollback.buildSeq = 1;
  rollback.job = "rollback";
  rollback.error = "line\n\"quoted\"";
  EXPECT_EQ(h.add(rollback).buildSeq, 1);
  auto back = DeploymentHistory::fromJson(h.toJson(), 20);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->all(), h.all());
  EXPECT_EQ(back->lastSeq(), 2);
  EXPECT_FALSE(
      DeploymentHistory::fromJson("{\"last_seq\":1,\"deployments\":[{\"seq\":1,"
                                  "\"sha\":\"x\",\"outcome\":\"weird\"}]}",
                                  20));
}

TEST(DeploymentHistory, FindsServingAndInProgress) {
  DeploymentHistory h;
  h.add(make("a", Outcome::kReplaced));
  h.add(make("b", Outcome::kServing));
  h.add(make("c", Outcome::kBuilding));
  h.add(make("d", Outcome::kFailed));
  ASSERT_TRUE(h.serving());
  EXPECT_EQ(h.serving()->sha, "b");
  auto busy = h.inProgress();
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(busy[0]->sha, "c");
}

TEST(DeploymentHistory, RollbackTargetsAreBuildsThatServed) {
  DeploymentHistory h;
  std::string good(40, '1'), bad(40, '2');
  h.add(make(good, Outcome::kReplaced));
  h.add(make(bad, Outcome::kFailed));
  h.add(make(std::string(40, '3'), Outcome::kServing));
  ASSERT_TRUE(h.rollbackTarget(good.substr(0, 7)));
  EXPECT_EQ(h.rollbackTarget(good)->seq, 1);
  EXPECT_FALSE(h.rollbackTarget(bad));                // never served
  EXPECT_FALSE(h.rollbackTarget(good.substr(0, 6)));  // too short to be unambiguous
  EXPECT_FALSE(h.rollbackTarget(std::string(40, '9')));
}

TEST(DeploymentHistory, RetentionKeepsTheServingOne) {
  DeploymentHistory h(3);
  h.add(make("serving", Outcome::kServing));
  for (int i = 0; i < 5; ++i) h.add(make("f" + std::to_string(i), Outcome::kFailed));
  ASSERT_EQ(h.all().size(), 3u);
  EXPECT_EQ(h.all()[0].sha, "serving");
  EXPECT_EQ(h.all()[2].sha, "f4");
  EXPECT_EQ(h.takeDropped(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_TRUE(h.takeDropped().empty());
}

TEST(DeploymentHistory, SavesAtomicallyAndLoadsEmptyWhenMissing) {
  spacelet::testing::TempDir dir;
  auto empty = DeploymentHistory::load(dir / "none.json", 20);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->all().empty());
  DeploymentHistory h;
  h.add(make("a", Outcome::kServing));
  ASSERT_TRUE(h.save(dir / "h.json"));
  auto loaded = DeploymentHistory::load(dir / "h.json", 20);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->all(), h.all());
  EXPECT_FALSE(std::filesystem::exists(dir / "h.json.tmp"));
}

}  // namespace
}  // namespace spacelet::agent::supervisor
