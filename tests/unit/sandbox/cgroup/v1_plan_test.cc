// v1 / hybrid planning: writes tagged with their hierarchy, in the order the kernel accepts.
#include "v1_plan.h"

#include <gtest/gtest.h>

#include <map>

namespace spacelet::sandbox::cgroup {
namespace {

class V1Plan : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.hierarchies = {"cpu",     "cpuacct", "cpuset", "memory",
                        "devices", "freezer", "blkio",  "pids"};
    ctx_.unifiedControllers = {"hugetlb"};
    files_ = {{"memory/memory.memsw.limit_in_bytes", FileState::kWritable},
              {"cpu/cpu.cfs_burst_us", FileState::kWritable},
              {"unified/hugetlb.2MB.max", FileState::kWritable},
              {"unified/hugetlb.2MB.current", FileState::kReadOnly},
              {"unified/cgroup.max.depth", FileState::kWritable}};
    ctx_.fileState = [this](const std::string& h, const std::string& f) {
      auto it = files_.find(h + "/" + f);
      return it == files_.end() ? FileState::kAbsent : it->second;
    };
  }

  std::vector<std::string> plan(const Resources& r) {
    auto writes = planV1(r, ctx_);
    EXPECT_TRUE(writes) << writes.error().message;
    std::vector<std::string> out;
    for (const Write& w : writes ? *writes : std::vector<Write>()) {
      out.push_back(w.hierarchy + "/" + w.file + "=" + w.value);
    }
    return out;
  }
  std::string planError(const Resources& r) {
    auto writes = planV1(r, ctx_);
    EXPECT_FALSE(writes);
    return writes ? "" : writes.error().message;
  }

  V1Context ctx_;
  std::map<std::string, FileState> files_;
};

using Lines = std::vector<std::string>;

TEST_F(V1Plan, NewLimitGoesBeforeMemswFromUnlimited) {
  Resources r;
  r.memory =
      Memory{.limit = 64 << 20, .reservation = 1 << 20, .swappiness = 0, .disableOomKiller = false};
  EXPECT_EQ(plan(r), (Lines{"memory/memory.limit_in_bytes=67108864",
                            "memory/memory.memsw.limit_in_bytes=67108864",
                            "memory/memory.soft_limit_in_bytes=1048576",
                            "memory/memory.swappiness=0", "memory/memory.oom_control=0"}));
}

TEST_F(V1Plan, RaisingWritesMemswFirstLoweringTheLimitFirst) {
  ctx_.currentMemoryLimit = 100;
  Resources up;
  up.memory = Memory{.limit = 200, .swap = 400};
  EXPECT_EQ(plan(up),
            (Lines{"memory/memory.memsw.limit_in_bytes=400", "memory/memory.limit_in_bytes=200"}));
  ctx_.currentMemoryLimit = 1000;
  Resources down;
  down.memory = Memory{.limit = 200, .swap = 400};
  EXPECT_EQ(plan(down),
            (Lines{"memory/memory.limit_in_bytes=200", "memory/memory.memsw.limit_in_bytes=400"}));
  Resources unlimited;
  unlimited.memory = Memory{.limit = -1, .swap = -1};
  EXPECT_EQ(plan(unlimited),
            (Lines{"memory/memory.memsw.limit_in_bytes=-1", "memory/memory.limit_in_bytes=-1"}));
}

TEST_F(V1Plan, SwapChecks) {
  Resources below;
  below.memory = Memory{.limit = 400, .swap = 200};
  EXPECT_NE(planError(below).find("'200' is below the memory limit '400'"), std::string::npos);
  files_.erase("memory/memory.memsw.limit_in_bytes");
  Resources noAccounting;
  noAccounting.memory = Memory{.limit = 100, .swap = 200};
  EXPECT_NE(planError(noAccounting).find("no swap accounting"), std::string::npos);
  Resources implicit;
  implicit.memory = Memory{.limit = 100};
  EXPECT_EQ(plan(implicit), (Lines{"memory/memory.limit_in_bytes=100"}));
}

TEST_F(V1Plan, CpuPeriodBeforeQuotaAndRtPeriodBeforeRuntime) {
  Resources r;
  r.cpu = Cpu{.shares = 512,
              .quota = 50000,
              .period = 100000,
              .realtimeRuntime = 1000,
              .realtimePeriod = 10000,
              .cpus = "0",
              .mems = "0",
              .burst = 10};
  EXPECT_EQ(plan(r), (Lines{"cpu/cpu.shares=512", "cpu/cpu.cfs_period_us=100000",
                            "cpu/cpu.cfs_quota_us=50000", "cpu/cpu.cfs_burst_us=10",
                            "cpu/cpu.rt_period_us=10000", "cpu/cpu.rt_runtime_us=1000",
                            "cpuset/cpuset.cpus=0", "cpuset/cpuset.mems=0"}));
  Resources unlimited;
  unlimited.cpu = Cpu{.quota = -1};
  EXPECT_EQ(plan(unlimited), (Lines{"cpu/cpu.cfs_quota_us=-1"}));
}

TEST_F(V1Plan, PidsAndMissingBlkioWeight) {
  Resources r;
  r.pidsLimit = -1;
  EXPECT_EQ(plan(r), (Lines{"pids/pids.max=max"}));
  Resources weight;
  weight.blockIoWeight = 100;
  EXPECT_NE(planError(weight).find("no blkio weight"), std::string::npos);
  files_["blkio/blkio.bfq.weight"] = FileState::kWritable;
  EXPECT_EQ(plan(weight), (Lines{"blkio/blkio.bfq.weight=100"}));
}

TEST_F(V1Plan, DevicesDenyAllThenRulesInOrder) {
  Resources r;
  r.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 136, -1, "rw"},
               {true, 'a', 7, -1, "r"},     {false, 'c', 1, 3, "w"},  {true, 'a', -1, -1, "m"}};
  EXPECT_EQ(plan(r), (Lines{"devices/devices.deny=a", "devices/devices.deny=a",
                            "devices/devices.allow=c 1:3 rwm", "devices/devices.allow=c 136:* rw",
                            "devices/devices.allow=b 7:* r", "devices/devices.allow=c 7:* r",
                            "devices/devices.deny=c 1:3 w", "devices/devices.allow=b *:* m",
                            "devices/devices.allow=c *:* m"}));
}

TEST_F(V1Plan, HugetlbOnTheV2MountOfAHybridHost) {
  Resources r;
  r.hugepageLimits = {{"2MB", 2097152}};
  EXPECT_EQ(plan(r), (Lines{"unified/hugetlb.2MB.max=2097152"}));
  ctx_.hierarchies.insert("hugetlb");
  files_["hugetlb/hugetlb.2MB.limit_in_bytes"] = FileState::kWritable;
  EXPECT_EQ(plan(r), (Lines{"hugetlb/hugetlb.2MB.limit_in_bytes=2097152"}));
}

TEST_F(V1Plan, UnifiedOnlyForControllersOnTheV2Mount) {
  Resources v1Controller;
  v1Controller.unified = {{"memory.max", "1"}};
  EXPECT_NE(planError(v1Controller).find("the 'memory' controller is on cgroup v1 on this host"),
            std::string::npos);
  Resources onV2;
  onV2.unified = {{"hugetlb.2MB.max", "4194304"}, {"cgroup.max.depth", "2"}};
  EXPECT_EQ(plan(onV2), (Lines{"unified/cgroup.max.depth=2", "unified/hugetlb.2MB.max=4194304"}));
  Resources readOnly;
  readOnly.unified = {{"hugetlb.2MB.current", "1"}};
  EXPECT_NE(planError(readOnly).find("read-only"), std::string::npos);
  Resources escape;
  escape.unified = {{"../memory/memory.limit_in_bytes", "1"}};
  EXPECT_NE(planError(escape).find("not a cgroup file name"), std::string::npos);
  Resources nowhere;
  nowhere.unified = {{"rdma.max", "1"}};
  EXPECT_NE(planError(nowhere).find("'rdma' controller is not available"), std::string::npos);
}

TEST_F(V1Plan, UnmountedControllerIsNamed) {
  ctx_.hierarchies.erase("pids");
  Resources r;
  r.pidsLimit = 10;
  EXPECT_NE(planError(r).find("linux.resources.pids.limit: the 'pids' cgroup controller is not "
                              "mounted"),
            std::string::npos);
}

TEST_F(V1Plan, CheckBeforeUpdateAndUseHierarchy) {
  ctx_.memoryUsage = 1000;
  Resources r;
  r.memory = Memory{.limit = 500, .checkBeforeUpdate = true};
  EXPECT_NE(planError(r).find("below the current usage 1000"), std::string::npos);
  Resources flat;
  flat.memory = Memory{.useHierarchy = false};
  EXPECT_NE(planError(flat).find("useHierarchy"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
