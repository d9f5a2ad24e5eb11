// Stage choices, failure texts, deployment names and paths, host id ranges and log tails.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "agent/supervisor/id_ranges.h"
#include "agent/supervisor/layout.h"
#include "agent/supervisor/log_tail.h"
#include "agent/supervisor/stages.h"
#include "test_env.h"

namespace spacelet::agent::supervisor {
namespace {

TEST(Stages, ProgressKeepsServingVisible) {
  EXPECT_EQ(progressStage(Step::kBuild, false), Stage::kBuilding);
  EXPECT_EQ(progressStage(Step::kBuild, true), Stage::kRunningBuilding);
  EXPECT_EQ(progressStage(Step::kStart, false), Stage::kAppStarting);
  EXPECT_EQ(progressStage(Step::kStart, true), Stage::kRunningAppStarting);
}

TEST(Stages, FailuresFallBackToRunningWhenOneServes) {
  EXPECT_EQ(stageAfterFailure(Failure::kBuild, false), Stage::kBuildError);
  EXPECT_EQ(stageAfterFailure(Failure::kConfig, false), Stage::kConfigError);
  EXPECT_EQ(stageAfterFailure(Failure::kNoAppFile, false), Stage::kNoAppFile);
  EXPECT_EQ(stageAfterFailure(Failure::kStart, false), Stage::kRuntimeError);
  for (auto f : {Failure::kBuild, Failure::kConfig, Failure::kNoAppFile, Failure::kStart}) {
    EXPECT_EQ(stageAfterFailure(f, true), Stage::kRunning);
  }
}

TEST(Stages, ExitReasonsNameOomAndSignals) {
  EXPECT_EQ(exitReason(false, 3, false, 0), "exit code 3");
  EXPECT_EQ(exitReason(true, SIGKILL, false, 0), "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(exitReason(true, SIGKILL, true, int64_t{16} << 30), "Memory limit exceeded (16Gi)");
  EXPECT_EQ(exitReason(true, SIGKILL, true, int64_t{512} << 20), "Memory limit exceeded (512Mi)");
}

TEST(Stages, ErrorsCarryTheLogTail) {
  std::vector<std::string> lines = {"{\"timestamp\":\"t\",\"data\":\"Traceback\"}", "raw line"};
  EXPECT_EQ(withLogTail("exit code 1", lines),
            "exit code 1\n\nLast log lines:\nTraceback\nraw line");
  EXPECT_EQ(withLogTail("exit code 1", {}), "exit code 1");
}

TEST(Layout, NamesAndPaths) {
  store::SpaceId id{"alice", "my-app"};
  EXPECT_EQ(repoPath("/s", id), "/s/spaces/alice/my-app/repo.git");
  auto p = deploymentPaths("/s", id, 7);
  EXPECT_EQ(p.dir, "/s/spaces/alice/my-app/deployments/7");
  EXPECT_EQ(p.bundle, p.dir + "/bundle");
  EXPECT_EQ(p.monitorState(2), p.dir + "/monitor-2.json");
  EXPECT_EQ(containerId(id, 7, 2), "alice--my-app--7-2");
  auto ref = parseContainerId("alice--my-app--7-2");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->space, id);
  EXPECT_EQ(ref->seq, 7);
  EXPECT_EQ(ref->instance, 2);
  for (const char* other : {"mycontainer", "a--b--x-1", "a--b--1", "a--b--1-", "--b--1-1"}) {
    EXPECT_FALSE(parseContainerId(other)) << other;
  }
  // A build's name is not a container id: the restore never takes it for a Space's.
  EXPECT_EQ(buildId(id, 7), "alice--my-app--7-0-build");
  EXPECT_FALSE(parseContainerId(buildId(id, 7)));
  EXPECT_EQ(networkKey(id, 7), "alice/my-app#7");
  // A build's network never shares the serving deployment's key (nor its namespace).
  EXPECT_EQ(buildNetworkKey(id, 7), "alice/my-app#7#build");
  EXPECT_TRUE(isBuildNetworkKey(buildNetworkKey(id, 7)));
  EXPECT_FALSE(isBuildNetworkKey(networkKey(id, 7)));
  EXPECT_EQ(imageName(id, 7), "spacelet-space/alice/my-app:7");
  EXPECT_EQ(spaceHost(store::SpaceId{"Alice", "my_app.v2"}, "localhost"),
            "alice-my-app-v2.localhost");
}

TEST(IdRanges, LowestFreeStableAndPersisted) {
  spacelet::testing::TempDir dir;
  IdRanges ranges(IdRangePolicy{100000, 65536, 3});
  EXPECT_EQ(ranges.assign("a/1")->hostId, 100000u);
  EXPECT_EQ(ranges.assign("a/2")->hostId, 165536u);
  EXPECT_EQ(ranges.assign("a/1")->hostId, 100000u);  // stable
  ranges.release("a/1");
  EXPECT_EQ(ranges.assign("a/3")->hostId, 100000u);  // reused
  EXPECT_TRUE(ranges.assign("a/4"));
  auto full = ranges.assign("a/5");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ENOSPC);
  ASSERT_TRUE(ranges.save(dir / "ids.json"));
  auto loaded = IdRanges::load(dir / "ids.json", IdRangePolicy{100000, 65536, 3});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->assign("a/2")->hostId, 165536u);
  EXPECT_EQ(loaded->size(), 3u);
}

TEST(LogTail, LastLinesOnly) {
  spacelet::testing::TempDir dir;
  {
    std::ofstream out(dir / "log");
    for (int i = 0; i < 100; ++i) out << "line " << i << "\n";
  }
  EXPECT_EQ(readLastLines(dir / "log", 3),
            (std::vector<std::string>{"line 97", "line 98", "line 99"}));
  // A window that cuts a line drops the partial one.
  auto tail = readLastLines(dir / "log", 100, 20);
  ASSERT_FALSE(tail.empty());
  EXPECT_EQ(tail.back(), "line 99");
  EXPECT_EQ(tail.front().rfind("line ", 0), 0u);
  EXPECT_TRUE(readLastLines(dir / "missing", 3).empty());
}

}  // namespace
}  // namespace spacelet::agent::supervisor
