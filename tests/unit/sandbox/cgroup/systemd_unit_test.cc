// The systemd driver's plan: scope names from runc's "slice:prefix:name", slice paths, and
// Resources -> unit properties.
#include "systemd_unit.h"

#include <gtest/gtest.h>

#include <limits>

namespace spacelet::sandbox::cgroup {
namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();

const PropertyValue* find(const ScopePlan& plan, const std::string& name) {
  for (const UnitProperty& p : plan.properties) {
    if (p.name == name) return &p.value;
  }
  return nullptr;
}

TEST(ScopeName, RuncConvention) {
  auto s = parseScopeName("machine-spaces.slice:spacelet:web", "id", "spacelet.slice");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->slice, "machine-spaces.slice");
  EXPECT_EQ(s->unit, "spacelet-web.scope");
  EXPECT_EQ(s->cgroupPath, "/machine.slice/machine-spaces.slice/spacelet-web.scope");
  auto dflt = parseScopeName("", "abc", "spacelet.slice");
  ASSERT_TRUE(dflt);
  EXPECT_EQ(dflt->cgroupPath, "/spacelet.slice/spacelet-abc.scope");
  auto noSlice = parseScopeName(":libpod:123", "x", "spacelet.slice");
  ASSERT_TRUE(noSlice);
  EXPECT_EQ(noSlice->unit, "libpod-123.scope");
  EXPECT_EQ(noSlice->slice, "spacelet.slice");
  auto noPrefix = parseScopeName("system.slice::web", "x", "spacelet.slice");
  ASSERT_TRUE(noPrefix);
  EXPECT_EQ(noPrefix->unit, "web.scope");
}

TEST(ScopeName, BadForms) {
  for (const char* bad :
       {"/spacelet/web", "a:b", "a:b:c:d", "x.slice:p:", "bad/x.slice:p:n", "-x.slice:p:n",
        "a--b.slice:p:n", "x.slice:p:sub.slice", "x.slice:p:a/b"}) {
    auto s = parseScopeName(bad, "id", "spacelet.slice");
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().message.find("linux.cgroupsPath"), std::string::npos) << bad;
  }
}

TEST(ScopeName, SliceExpansion) {
  EXPECT_EQ(*expandSlice("-.slice"), "");
  EXPECT_EQ(*expandSlice("a.slice"), "/a.slice");
  EXPECT_EQ(*expandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
  EXPECT_FALSE(expandSlice("a.scope"));
}

TEST(ScopePlan, LimitsBecomeProperties) {
  Resources r;
  r.memory = Memory{.limit = 64 << 20, .reservation = 1 << 20};
  r.cpu = Cpu{.shares = 1024, .quota = 50000, .period = 100000, .cpus = "0-1,3", .idle = 1};
  r.pidsLimit = 100;
  r.blockIoWeight = 1000;
  r.unified = {{"memory.oom.group", "1"},
               {"memory.high", "max"},
               {"pids.max", "50"},
               {"cpu.weight", "default"}};
  auto plan = planScope(r, {});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "MemoryMax")), uint64_t{64} << 20);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "MemoryLow")), uint64_t{1} << 20);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "MemorySwapMax")), 0u);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "CPUWeight")), 100u);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "CPUQuotaPerSecUSec")), 500000u);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "CPUQuotaPeriodUSec")), 100000u);
  EXPECT_EQ(std::get<std::vector<uint8_t>>(*find(*plan, "AllowedCPUs")),
            std::vector<uint8_t>{0x0b});
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "TasksMax")), 100u);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "IOWeight")), 10000u);
  EXPECT_EQ(find(*plan, "CPUIdle"), nullptr);  // no property: only in the payload leaf
  // Unified keys systemd manages become properties too (the last assignment wins).
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "MemoryHigh")), kInfinity);
  EXPECT_EQ(std::get<uint64_t>(plan->properties.back().value), 50u);
  EXPECT_EQ(plan->properties.back().name, "TasksMax");
  size_t weights = 0;  // "default" is not a number: only the typed shares' CPUWeight
  for (const UnitProperty& p : plan->properties) weights += p.name == "CPUWeight";
  EXPECT_EQ(weights, 1u);
}

TEST(ScopePlan, UnlimitedAndRoundedQuota) {
  Resources r;
  r.memory = Memory{.limit = -1};
  r.cpu = Cpu{.quota = 33333, .period = 100000};
  r.pidsLimit = -1;
  auto plan = planScope(r, {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "MemoryMax")), kInfinity);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "MemorySwapMax")), kInfinity);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "TasksMax")), kInfinity);
  EXPECT_EQ(std::get<uint64_t>(*find(*plan, "CPUQuotaPerSecUSec")), 340000u);  // 33.3% -> 34%
}

TEST(ScopePlan, ExpressibleDevicesBecomeDeviceAllow) {
  Resources r;
  r.devices = {{false, 'a', -1, -1, "rwm"},
               {true, 'c', 1, 3, "rwm"},
               {true, 'c', 136, -1, "rw"},
               {true, 'c', -1, -1, "m"}};
  auto groups =
      parseProcDevices("Character devices:\n  1 mem\n136 pts\n\nBlock devices:\n  8 sd\n");
  auto plan = planScope(r, groups);
  ASSERT_TRUE(plan);
  EXPECT_EQ(std::get<std::string>(*find(*plan, "DevicePolicy")), "strict");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(std::get<Pairs>(*find(*plan, "DeviceAllow")),
            (Pairs{{"/dev/char/1:3", "rwm"}, {"char-pts", "rw"}, {"char-*", "m"}}));
}

TEST(ScopePlan, InexpressibleDevicesLeaveSystemdOut) {
  Resources laterDeny;
  laterDeny.devices = {
      {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {false, 'c', 1, 3, "w"}};
  auto plan = planScope(laterDeny, {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(find(*plan, "DevicePolicy"), nullptr);
  EXPECT_EQ(find(*plan, "DeviceAllow"), nullptr);
  Resources unknownMajor;
  unknownMajor.devices = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 250, -1, "rwm"}};
  plan = planScope(unknownMajor, {});
  ASSERT_TRUE(plan);
  EXPECT_EQ(find(*plan, "DeviceAllow"), nullptr);
}

TEST(ScopePlan, CpuMask) {
  EXPECT_EQ(cpuListMask("0"), std::vector<uint8_t>{0x01});
  EXPECT_EQ(cpuListMask("8-9"), (std::vector<uint8_t>{0x00, 0x03}));
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
