// Tests of logs.retention: the logs (and rotated logs) of deployments that ended longer ago
// than the retention go; recent ones, unfinished ones and the serving deployment's (with the
// build it runs) stay, on real files in a temp dir.
#include "agent/supervisor/log_expiry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/supervisor/layout.h"
#include "test_env.h"

namespace spacelet::agent::supervisor {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kDay = 86400 * 1000;

class LogExpiryTest : public ::testing::Test {
 protected:
  // A deployment with its build and run logs (and one rotated run log) on disk.
  Deployment& add(int64_t endedAtMs, Outcome outcome, int64_t buildSeq = 0) {
    Deployment d;
    d.outcome = outcome;
    d.endedAtMs = endedAtMs;
    Deployment& added = history_.add(std::move(d));
    added.buildSeq = buildSeq ? buildSeq : added.seq;
    DeploymentPaths p = deploymentPaths(dir_.path(), id_, added.seq);
    fs::create_directories(p.dir);
    for (const auto& f : {p.buildLog, p.runLog, p.runLog + ".1"}) std::ofstream(f) << "line\n";
    std::ofstream(p.dir + "/monitor-1.json") << "{}";
    return added;
  }
  bool hasLogs(int64_t seq) {
    DeploymentPaths p = deploymentPaths(dir_.path(), id_, seq);
    return fs::exists(p.buildLog) && fs::exists(p.runLog) && fs::exists(p.runLog + ".1");
  }
  bool hasNoLogs(int64_t seq) {
    DeploymentPaths p = deploymentPaths(dir_.path(), id_, seq);
    return !fs::exists(p.buildLog) && !fs::exists(p.runLog) && !fs::exists(p.runLog + ".1") &&
           fs::exists(p.dir + "/monitor-1.json");
  }

  spacelet::testing::TempDir dir_;
  store::SpaceId id_{"ana", "logs"};
  DeploymentHistory history_{20};
};

TEST_F(LogExpiryTest, OnlyLogsOfLongEndedDeploymentsGo) {
  int64_t now = 100 * kDay;
  int64_t oldEnded = add(now - 10 * kDay, Outcome::kStopped).seq;
  int64_t oldFailed = add(now - 8 * kDay, Outcome::kFailed).seq;
  int64_t recent = add(now - 1 * kDay, Outcome::kStopped).seq;
  int64_t serving = add(0, Outcome::kServing).seq;
  size_t removed =
      expireDeploymentLogs(dir_.path(), id_, history_, now, std::chrono::seconds(7 * 86400));
  EXPECT_EQ(removed, 6u);
  EXPECT_TRUE(hasNoLogs(oldEnded));
  EXPECT_TRUE(hasNoLogs(oldFailed));
  EXPECT_TRUE(hasLogs(recent));
  EXPECT_TRUE(hasLogs(serving));
  EXPECT_EQ(history_.all().size(), 4u);  // the records stay
}

TEST_F(LogExpiryTest, TheServingDeploymentsBuildKeepsItsLogs) {
  int64_t now = 100 * kDay;
  int64_t built = add(now - 30 * kDay, Outcome::kStopped).seq;
  int64_t rolledBack = add(0, Outcome::kServing, built).seq;
  EXPECT_EQ(expireDeploymentLogs(dir_.path(), id_, history_, now, std::chrono::seconds(3600)), 0u);
  EXPECT_TRUE(hasLogs(built));
  EXPECT_TRUE(hasLogs(rolledBack));
}

}  // namespace
}  // namespace spacelet::agent::supervisor
