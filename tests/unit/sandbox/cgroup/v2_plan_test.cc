// cgroup v2 planning, validated against and applied to a temp dir that plays cgroupfs.
#include "v2_plan.h"

#include <gtest/gtest.h>

#include "cgroup_fs.h"
#include "fake_cgroupfs.h"

namespace spacelet::sandbox::cgroup {
namespace {

using testing::FakeCgroupDir;

class V2Plan : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.addFiles({"memory.max", "memory.low", "memory.high", "memory.swap.max", "cpu.weight",
                   "cpu.max", "cpu.max.burst", "cpu.idle", "cpuset.cpus", "cpuset.mems", "pids.max",
                   "io.weight", "hugetlb.2MB.max", "hugetlb.1GB.max", "cgroup.procs",
                   "cgroup.max.depth", "memory.oom.group"});
    dir_.addFiles(
        {"memory.current", "memory.events", "cpu.stat", "cgroup.controllers", "cgroup.events"},
        0444);
    ctx_.controllers = {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"};
    ctx_.fileState = [fd = dir_.fd()](const std::string& f) { return fileStateAt(fd, f); };
  }

  Result<std::vector<Write>> plan(const Resources& r) { return planV2(r, ctx_); }

  std::string planError(const Resources& r) {
    auto writes = plan(r);
    EXPECT_FALSE(writes);
    return writes ? "" : writes.error().message;
  }

  FakeCgroupDir dir_;
  V2Context ctx_;
};

TEST_F(V2Plan, MemoryLimitWithoutSwapGrantsNoSwap) {
  Resources r;
  r.memory = Memory{.limit = 64 << 20, .reservation = 1 << 20};
  auto writes = plan(r);
  ASSERT_TRUE(writes) << writes.error().message;
  ASSERT_TRUE(applyWrites(dir_.fd(), *writes));
  EXPECT_EQ(dir_.read("memory.max"), "67108864");
  EXPECT_EQ(dir_.read("memory.low"), "1048576");
  EXPECT_EQ(dir_.read("memory.swap.max"), "0");
}

TEST_F(V2Plan, SwapIsTheDifferenceAndMinusOneIsMax) {
  Resources r;
  r.memory = Memory{.limit = 100, .swap = 300};
  auto writes = plan(r);
  ASSERT_TRUE(writes);
  ASSERT_TRUE(applyWrites(dir_.fd(), *writes));
  EXPECT_EQ(dir_.read("memory.swap.max"), "200");
  r.memory = Memory{.limit = -1};
  writes = plan(r);
  ASSERT_TRUE(writes);
  ASSERT_TRUE(applyWrites(dir_.fd(), *writes));
  EXPECT_EQ(dir_.read("memory.max"), "max");
  EXPECT_EQ(dir_.read("memory.swap.max"), "max");
}

TEST_F(V2Plan, CpuWeightQuotaAndSets) {
  Resources r;
  r.cpu = Cpu{.shares = 1024,
              .quota = 50000,
              .period = 100000,
              .cpus = "0-1",
              .mems = "0",
              .idle = 0,
              .burst = 2000};
  auto writes = plan(r);
  ASSERT_TRUE(writes) << writes.error().message;
  ASSERT_TRUE(applyWrites(dir_.fd(), *writes));
  EXPECT_EQ(dir_.read("cpu.weight"), "100");
  EXPECT_EQ(dir_.read("cpu.max"), "50000 100000");
  EXPECT_EQ(dir_.read("cpu.max.burst"), "2000");
  EXPECT_EQ(dir_.read("cpu.idle"), "0");
  EXPECT_EQ(dir_.read("cpuset.cpus"), "0-1");
  EXPECT_EQ(dir_.read("cpuset.mems"), "0");
}

TEST_F(V2Plan, QuotaMinusOneIsMaxAndPeriodAloneKeepsMax) {
  Resources r;
  r.cpu = Cpu{.quota = -1, .period = 250000};
  auto writes = plan(r);
  ASSERT_TRUE(writes);
  ASSERT_EQ(writes->size(), 1u);
  EXPECT_EQ((*writes)[0].value, "max 250000");
  r.cpu = Cpu{.quota = 20000};
  writes = plan(r);
  ASSERT_TRUE(writes);
  EXPECT_EQ((*writes)[0].value, "20000");
}

TEST_F(V2Plan, PidsIoAndHugepages) {
  Resources r;
  r.pidsLimit = 64;
  r.blockIoWeight = 500;
  r.hugepageLimits = {{"2MB", 4194304}};
  auto writes = plan(r);
  ASSERT_TRUE(writes) << writes.error().message;
  ASSERT_TRUE(applyWrites(dir_.fd(), *writes));
  EXPECT_EQ(dir_.read("pids.max"), "64");
  EXPECT_EQ(dir_.read("io.weight"), "4950");
  EXPECT_EQ(dir_.read("hugetlb.2MB.max"), "4194304");
  r = Resources{};
  r.pidsLimit = -1;
  writes = plan(r);
  ASSERT_TRUE(writes);
  EXPECT_EQ((*writes)[0].value, "max");
}

TEST_F(V2Plan, BfqWeightKeepsTheV1Range) {
  dir_.addFiles({"io.bfq.weight"});
  Resources r;
  r.blockIoWeight = 500;
  auto writes = plan(r);
  ASSERT_TRUE(writes);
  EXPECT_EQ(*writes,
            (std::vector<Write>{{"", "io.bfq.weight", "500", "linux.resources.blockIO.weight"}}));
}

TEST_F(V2Plan, UnknownHugepageSizeIsNamed) {
  Resources r;
  r.hugepageLimits = {{"3MB", 1}};
  EXPECT_NE(planError(r).find("hugepageLimits[0].pageSize: '3MB' is not a huge page size"),
            std::string::npos);
}

TEST_F(V2Plan, UnifiedKeysComeLastAndOverride) {
  Resources r;
  r.memory = Memory{.limit = 1000000};
  r.unified = {{"memory.max", "2000000"}, {"memory.oom.group", "1"}, {"cgroup.max.depth", "3"}};
  auto writes = plan(r);
  ASSERT_TRUE(writes) << writes.error().message;
  ASSERT_TRUE(applyWrites(dir_.fd(), *writes));
  EXPECT_EQ(dir_.read("memory.max"), "2000000");
  EXPECT_EQ(dir_.read("memory.oom.group"), "1");
  EXPECT_EQ(dir_.read("cgroup.max.depth"), "3");
}

TEST_F(V2Plan, UnifiedKeysCannotEscapeOrTouchManagedFiles) {
  for (const char* key : {"../../etc/passwd", "memory/../x", "..", ".", "", "memory"}) {
    Resources r;
    r.unified = {{key, "1"}};
    EXPECT_NE(planError(r).find("linux.resources.unified['" + std::string(key) + "']"),
              std::string::npos)
        << key;
  }
  Resources procs;
  procs.unified = {{"cgroup.procs", "1"}};
  EXPECT_NE(planError(procs).find("managed by the runtime"), std::string::npos);
  Resources kill;
  kill.unified = {{"cgroup.kill", "1"}};
  EXPECT_NE(planError(kill).find("managed by the runtime"), std::string::npos);
}

TEST_F(V2Plan, UnifiedKeysMustBeWritableFilesOfAvailableControllers) {
  Resources readOnly;
  readOnly.unified = {{"memory.current", "1"}};
  EXPECT_NE(planError(readOnly).find("'memory.current' is read-only"), std::string::npos);
  Resources missing;
  missing.unified = {{"memory.nonsense", "1"}};
  EXPECT_NE(planError(missing).find("no file 'memory.nonsense'"), std::string::npos);
  Resources controller;
  controller.unified = {{"rdma.max", "1"}};
  EXPECT_NE(planError(controller).find("the 'rdma' controller is not available"),
            std::string::npos);
}

TEST_F(V2Plan, MissingControllerIsNamed) {
  ctx_.controllers.erase("pids");
  Resources r;
  r.pidsLimit = 5;
  EXPECT_NE(planError(r).find("linux.resources.pids.limit: the 'pids' controller is not "
                              "available"),
            std::string::npos);
}

TEST_F(V2Plan, V1OnlyFieldsAreRefusedWithTheReason) {
  Resources rt;
  rt.cpu = Cpu{.realtimeRuntime = 1000};
  EXPECT_NE(planError(rt).find("realtime"), std::string::npos);
  Resources swappiness;
  swappiness.memory = Memory{.swappiness = 10};
  EXPECT_NE(planError(swappiness).find("memory.swappiness: cgroup v2 has no"), std::string::npos);
  Resources oom;
  oom.memory = Memory{.disableOomKiller = true};
  EXPECT_NE(planError(oom).find("disableOOMKiller"), std::string::npos);
}

TEST_F(V2Plan, SwapWithoutAccounting) {
  FakeCgroupDir bare;
  bare.addFiles({"memory.max"});
  ctx_.fileState = [fd = bare.fd()](const std::string& f) { return fileStateAt(fd, f); };
  Resources implicit;
  implicit.memory = Memory{.limit = 100};
  auto writes = plan(implicit);
  ASSERT_TRUE(writes);
  EXPECT_EQ(writes->size(), 1u);  // no memory.swap.max to write: nothing can swap anyway
  Resources explicitSwap;
  explicitSwap.memory = Memory{.limit = 100, .swap = 200};
  EXPECT_NE(planError(explicitSwap).find("no memory.swap.max"), std::string::npos);
}

TEST_F(V2Plan, CheckBeforeUpdateRefusesALimitBelowUsage) {
  ctx_.memoryCurrent = 5000;
  Resources r;
  r.memory = Memory{.limit = 4000, .checkBeforeUpdate = true};
  EXPECT_NE(planError(r).find("below the current usage 5000"), std::string::npos);
  r.memory->limit = 6000;
  EXPECT_TRUE(plan(r));
}

TEST_F(V2Plan, ApplyNamesTheFieldOfAFailedWrite) {
  Resources r;
  r.memory = Memory{.limit = 100};
  auto writes = plan(r);
  ASSERT_TRUE(writes);
  FakeCgroupDir empty;
  auto applied = applyWrites(empty.fd(), *writes);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().message,
            "linux.resources.memory.limit: open 'memory.max': No such file or directory");
}

TEST(V2Controllers, NeededFollowsTheFieldsSet) {
  Resources r;
  r.memory = Memory{.limit = 1};
  r.cpu = Cpu{.cpus = "0"};
  r.unified = {{"io.max", "8:0 rbps=1"}, {"cgroup.max.depth", "2"}};
  EXPECT_EQ(neededControllersV2(r), (std::set<std::string>{"cpuset", "io", "memory"}));
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
