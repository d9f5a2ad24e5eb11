// The smaller pure planners: devices, sysctl paths, id maps, namespace joins and flags,
// capability clamping, the cgroup mount's hierarchies and paths.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>

#include "sandbox/linux/capabilities.h"
#include "sandbox/linux/cgroup_mount.h"
#include "sandbox/linux/devices.h"
#include "sandbox/linux/idmap.h"
#include "sandbox/linux/in_root.h"
#include "sandbox/linux/namespaces.h"
#include "sandbox/linux/sysctl.h"

namespace spacelet::sandbox::linux {
namespace {

TEST(DevicesPlan, DefaultsThenConfiguredReplacing) {
  spec::Spec spec;
  spec.linux.devices = {{"/dev/null", 'c', 1, 3, 0600, 5, 6},
                        {"/dev/fuse", 'c', 10, 229, {}, {}, {}},
                        {"/dev/loop0", 'b', 7, 0, {}, {}, {}},
                        {"/dev/fifo", 'p', 0, 0, {}, {}, {}}};
  auto nodes = planDevices(spec, false);
  ASSERT_EQ(nodes.size(), 9u);
  EXPECT_EQ(nodes[0].path, "/dev/null");
  EXPECT_EQ(nodes[0].mode, mode_t{0600}) << "the configured device replaces the default";
  EXPECT_EQ(nodes[0].uid, 5u);
  EXPECT_EQ(nodes[6].path, "/dev/fuse");
  EXPECT_EQ(nodes[6].mode, mode_t{0666});
  EXPECT_EQ(nodes[7].type, mode_t{S_IFBLK});
  EXPECT_EQ(nodes[8].type, mode_t{S_IFIFO});
  EXPECT_EQ(planDevices(spec, true).size(), 4u) << "/dev bound from the host: no defaults";
  auto rules = deviceAllowRules(spec);
  ASSERT_EQ(rules.size(), 3u) << "fifos need no device rule";
  EXPECT_TRUE(rules[1].allow);
  EXPECT_EQ(rules[1].major, 10);
  EXPECT_EQ(rules[2].type, 'b');
}

TEST(SysctlPlan, DotsBecomeSlashes) {
  auto writes = planSysctl({{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "65536"}});
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].path, "/proc/sys/kernel/shmmax");
  EXPECT_EQ(writes[1].path, "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(writes[1].value, "1");
}

TEST(IdMap, Format) {
  EXPECT_EQ(formatIdMap({{0, 100000, 65536}, {65536, 1000, 1}}), "0 100000 65536\n65536 1000 1\n");
  EXPECT_EQ(formatIdMap({}), "");
}

TEST(NamespacesPlan, NewJoinedAndUserFirst) {
  spec::Spec spec;
  spec.linux.namespaces = {{spec::NamespaceType::kPid, ""},
                           {spec::NamespaceType::kNetwork, "/run/netns/a"},
                           {spec::NamespaceType::kMount, ""},
                           {spec::NamespaceType::kUser, "/proc/1/ns/user"},
                           {spec::NamespaceType::kTime, ""}};
  spec.linux.timeOffsets = {{"monotonic", {10, 5}}, {"boottime", {-3, 0}}};
  NamespacePlan plan = planNamespaces(spec);
  EXPECT_FALSE(plan.newUser);
  EXPECT_EQ(plan.unshareFlags, CLONE_NEWPID | CLONE_NEWNS | 0x80 /* CLONE_NEWTIME */);
  ASSERT_EQ(plan.joins.size(), 2u);
  EXPECT_EQ(plan.joins[0].type, spec::NamespaceType::kUser) << "the user namespace is joined first";
  EXPECT_EQ(plan.joins[1].cloneFlag, CLONE_NEWNET);
  EXPECT_EQ(plan.timeOffsets, "7 -3 0\n1 10 5\n");
  spec.linux.namespaces = {{spec::NamespaceType::kUser, ""}};
  EXPECT_TRUE(planNamespaces(spec).newUser);
  EXPECT_EQ(planNamespaces(spec).unshareFlags, 0);
}

TEST(Capabilities, ClampToTheKernel) {
  spec::Capabilities all{~0ull, ~0ull, ~0ull, ~0ull, ~0ull};
  auto clamped = clampCapabilities(all, 40);
  EXPECT_EQ(clamped.bounding, (1ull << 41) - 1);
  EXPECT_EQ(clamped.ambient, (1ull << 41) - 1);
  EXPECT_EQ(clampCapabilities(all, 37).effective, (1ull << 38) - 1);
}

const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "50 23 0:40 / /mnt/other rw - ext4 /dev/sda rw\n";

TEST(CgroupMountPlan, HybridHierarchies) {
  CgroupMountPlan plan = planCgroupMounts(kHybridMountinfo, true);
  EXPECT_FALSE(plan.unified);
  ASSERT_EQ(plan.hierarchies.size(), 4u);
  EXPECT_EQ(plan.hierarchies[0].key, "cpu,cpuacct");
  EXPECT_EQ(plan.hierarchies[0].name, "cpu,cpuacct");
  EXPECT_EQ(plan.hierarchies[0].aliases, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(plan.hierarchies[2].key, "name=systemd") << "xattr is an option, not a controller";
  EXPECT_EQ(plan.hierarchies[3].key, "") << "cgroup v2 is the 0:: line";
  EXPECT_EQ(plan.hierarchies[3].hostMount, "/sys/fs/cgroup/unified");
}

TEST(CgroupMountPlan, UnifiedHost) {
  CgroupMountPlan plan =
      planCgroupMounts("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", false);
  EXPECT_TRUE(plan.unified);
  ASSERT_EQ(plan.hierarchies.size(), 1u);
  EXPECT_EQ(plan.hierarchies[0].hostMount, "/sys/fs/cgroup");
}

TEST(CgroupMountPlan, PathForAHierarchy) {
  const char* self = "9:name=systemd:/\n4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/unified/x\n";
  char out[256];
  ASSERT_TRUE(cgroupPathFor(self, "memory", out, sizeof out));
  EXPECT_STREQ(out, "/a/b");
  ASSERT_TRUE(cgroupPathFor(self, "cpu,cpuacct", out, sizeof out));
  EXPECT_STREQ(out, "/c");
  ASSERT_TRUE(cgroupPathFor(self, "", out, sizeof out));
  EXPECT_STREQ(out, "/unified/x");
  EXPECT_FALSE(cgroupPathFor(self, "cpu", out, sizeof out)) << "no partial matches";
  EXPECT_FALSE(cgroupPathFor(self, "memory", out, 3)) << "too small a buffer";
}

TEST(InRoot, ProcFdPath) {
  char buf[32];
  EXPECT_STREQ(procFdPath(0, buf), "/proc/self/fd/0");
  EXPECT_STREQ(procFdPath(1234, buf), "/proc/self/fd/1234");
}

}  // namespace
}  // namespace spacelet::sandbox::linux
