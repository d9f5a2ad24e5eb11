// Coalescing of a Space's deployment requests: the newest commit next, never a stale one.
#include <gtest/gtest.h>

#include "agent/supervisor/deploy_queue.h"

namespace spacelet::agent::supervisor {
namespace {

Job deploy(std::string sha, bool noCache = false) {
  return Job{JobKind::kDeploy, std::move(sha), noCache, 0, "push"};
}

TEST(DeployQueue, RunsOneAtATime) {
  DeployQueue q;
  EXPECT_FALSE(q.take());
  q.push(deploy("a"));
  auto first = q.take();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sha, "a");
  EXPECT_TRUE(q.running());
  q.push(deploy("b"));
  EXPECT_FALSE(q.take());  // a is still running
  q.finished();
  auto second = q.take();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->sha, "b");
}

TEST(DeployQueue, PushesDuringABuildCoalesceToTheNewest) {
  DeployQueue q;
  q.push(deploy("a"));
  (void)q.take();
  for (const char* sha : {"b", "c", "d"}) q.push(deploy(sha));
  q.finished();
  auto next = q.take();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->sha, "d");
  q.finished();
  EXPECT_FALSE(q.take());  // b and c are never built
}

TEST(DeployQueue, FactoryRebuildStaysNoCache) {
  DeployQueue q;
  q.push(deploy("", true));
  q.push(deploy("e"));
  auto next = q.take();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->sha, "e");
  EXPECT_TRUE(next->noCache);
}

TEST(DeployQueue, RestartIsAbsorbedByAPendingBuild) {
  DeployQueue q;
  q.push(deploy("a"));
  q.push(Job{JobKind::kRestart, "", false, 0, "secret 'X' set"});
  q.push(Job{JobKind::kResume, "", false, 0, "resume"});
  auto next = q.take();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->kind, JobKind::kDeploy);
  EXPECT_EQ(next->sha, "a");
}

TEST(DeployQueue, APushAfterARestartWins) {
  DeployQueue q;
  q.push(Job{JobKind::kRestart, "", false, 0, "variable set"});
  q.push(deploy("f"));
  EXPECT_EQ(q.take()->kind, JobKind::kDeploy);
}

TEST(DeployQueue, RollbackReplacesPendingPushesAndClearDrops) {
  DeployQueue q;
  q.push(deploy("a"));
  q.push(Job{JobKind::kRollback, "0123456", false, 3, "rollback"});
  auto next = q.take();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->kind, JobKind::kRollback);
  EXPECT_EQ(next->fromSeq, 3);
  q.push(deploy("b"));
  q.clearPending();
  q.finished();
  EXPECT_FALSE(q.take());
  EXPECT_EQ(jobKindName(JobKind::kRollback), "rollback");
}

TEST(DeployQueue, RecoveryYieldsToWhatStartsTheAppAnyway) {
  DeployQueue q;
  q.push(Job{JobKind::kRestart, "", false, 0, "secret set"});
  q.push(Job{JobKind::kRecover, "", false, 0, "crash"});
  EXPECT_EQ(q.take()->kind, JobKind::kRestart);
  q.finished();
  q.push(Job{JobKind::kRecover, "", false, 0, "crash"});
  q.push(Job{JobKind::kStop, "", false, 0, "pause"});
  EXPECT_EQ(q.take()->kind, JobKind::kStop);  // a stop replaces a pending recovery
  q.finished();
  q.push(Job{JobKind::kStop, "", false, 0, "pause"});
  q.push(Job{JobKind::kResume, "", false, 0, "resume"});
  EXPECT_EQ(q.take()->kind, JobKind::kResume);
}

}  // namespace
}  // namespace spacelet::agent::supervisor
