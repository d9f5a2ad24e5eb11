// Tests of where Spaces' and builds' cgroups go: the driver "auto" resolves to systemd only
// where its driver works, the fs driver's leaf under Delegate=yes or without systemd (and when
// the agent already runs in it), the cgroupsPath of each driver, and entering the leaf on a temp
// dir that plays cgroupfs.
#include "agent/daemon/cgroup_placement.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "spacelet/base/file_io.h"
#include "test_env.h"

namespace spacelet::agent::daemon {
namespace {

using spacelet::testing::TempDir;

CgroupFacts systemdHost() {
  CgroupFacts f;
  f.unified = true;
  f.systemdBooted = true;
  f.ownCgroup = "/system.slice/spaceletd.service";
  return f;
}

TEST(CgroupPlacement, AutoIsSystemdOnlyWhereItsDriverWorks) {
  CgroupFacts f = systemdHost();
  EXPECT_TRUE(chooseSystemdDriver("auto", f).value());
  EXPECT_FALSE(chooseSystemdDriver("fs", f).value());
  EXPECT_TRUE(chooseSystemdDriver("systemd", f).value());

  CgroupFacts hybrid = f;
  hybrid.unified = false;
  EXPECT_FALSE(chooseSystemdDriver("auto", hybrid).value());
  auto refused = chooseSystemdDriver("systemd", hybrid);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("needs systemd as PID 1 on a pure cgroup v2 hierarchy"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("cgroup v1 controllers"), std::string::npos);

  CgroupFacts noSystemd = f;
  noSystemd.systemdBooted = false;
  EXPECT_FALSE(chooseSystemdDriver("auto", noSystemd).value());
  EXPECT_FALSE(chooseSystemdDriver("systemd", noSystemd));
  EXPECT_FALSE(chooseSystemdDriver("cgroupfs", f));
}

TEST(CgroupPlacement, FsUnderDelegateMovesTheAgentIntoALeaf) {
  CgroupFacts f = systemdHost();
  f.ownDelegated = true;
  FsPlan plan = planFs(f);
  EXPECT_EQ(plan.leaf, "/system.slice/spaceletd.service/agent");
  EXPECT_EQ(plan.parent, "/system.slice/spaceletd.service");

  // Already in the leaf (DelegateSubgroup=agent, or a re-exec): nothing to move.
  CgroupFacts inLeaf = systemdHost();
  inLeaf.ownCgroup = "/system.slice/spaceletd.service/agent";
  inLeaf.parentDelegated = true;
  plan = planFs(inLeaf);
  EXPECT_EQ(plan.leaf, "");
  EXPECT_EQ(plan.parent, "/system.slice/spaceletd.service");

  // Not delegated (a shell, a test harness) or cgroup v1: below the agent's own cgroup, as
  // before; nothing is moved.
  CgroupFacts shell = systemdHost();
  shell.ownCgroup = "/spacelet-vm/agent_tests/test";
  plan = planFs(shell);
  EXPECT_EQ(plan.leaf, "");
  EXPECT_EQ(plan.parent, "/spacelet-vm/agent_tests/test");
  CgroupFacts v1 = f;
  v1.unified = false;
  EXPECT_EQ(planFs(v1).leaf, "");
}

// Without systemd (another init, a container, the VM harness) the agent's cgroup is its own
// to divide on cgroup v2: it moves into a leaf, except from the root.
TEST(CgroupPlacement, FsWithoutSystemdMovesTheAgentIntoALeafOnV2) {
  CgroupFacts f;
  f.unified = true;
  f.ownCgroup = "/spacelet-vm/agent_tests/spaceletd-1";
  FsPlan plan = planFs(f);
  EXPECT_EQ(plan.leaf, "/spacelet-vm/agent_tests/spaceletd-1/agent");
  EXPECT_EQ(plan.parent, "/spacelet-vm/agent_tests/spaceletd-1");

  CgroupFacts again = f;  // started into its leaf (a restart by a supervisor that kept it)
  again.ownCgroup = "/spacelet-vm/agent_tests/spaceletd-1/agent";
  plan = planFs(again);
  EXPECT_EQ(plan.leaf, "");
  EXPECT_EQ(plan.parent, "/spacelet-vm/agent_tests/spaceletd-1");

  CgroupFacts root = f;  // the root may hold processes and hand out controllers
  root.ownCgroup = "/";
  plan = planFs(root);
  EXPECT_EQ(plan.leaf, "");
  EXPECT_EQ(plan.parent, "/");
  EXPECT_EQ((CgroupPlacement{false, plan.parent, {}}.cgroupsPath("spacelet-spaces", "a--b--1")),
            "/spacelet-spaces/a--b--1");

  CgroupFacts v1 = f;
  v1.unified = false;
  EXPECT_EQ(planFs(v1).leaf, "");
  EXPECT_EQ(planFs(v1).parent, "/spacelet-vm/agent_tests/spaceletd-1");
}

TEST(CgroupPlacement, CgroupsPathOfEachDriver) {
  CgroupPlacement fs{false, "/system.slice/spaceletd.service", {}};
  EXPECT_EQ(fs.cgroupsPath("spacelet-spaces", "alice--demo--3"),
            "/system.slice/spaceletd.service/spacelet-spaces/alice--demo--3");
  CgroupPlacement systemd{true, "spacelet.slice", {"--systemd-cgroup"}};
  EXPECT_EQ(systemd.cgroupsPath("spacelet-spaces", "alice--demo--3"),
            "spacelet.slice:spacelet-spaces:alice--demo--3");
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string readFile(const std::string& path) {
  return readFileAt(AT_FDCWD, path).value_or("(missing)");
}

TEST(CgroupPlacement, EnterLeafMovesTheProcessesAndEnablesTheControllers) {
  TempDir root;
  std::string unit = root / "system.slice/spaceletd.service";
  ASSERT_EQ(::mkdir((root / "system.slice").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(unit.c_str(), 0755), 0);
  writeFile(unit + "/cgroup.procs", "4242\n");
  writeFile(unit + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  writeFile(unit + "/cgroup.subtree_control", "");
  // cgroupfs makes a new cgroup's files itself; the temp dir needs them made.
  ASSERT_EQ(::mkdir((unit + "/agent").c_str(), 0755), 0);
  writeFile(unit + "/agent/cgroup.procs", "");

  auto entered = enterLeaf(
      root.path(), {"/system.slice/spaceletd.service/agent", "/system.slice/spaceletd.service"});
  ASSERT_TRUE(entered) << entered.error().message;
  EXPECT_EQ(readFile(unit + "/agent/cgroup.procs"), "4242");
  EXPECT_EQ(readFile(unit + "/cgroup.subtree_control"), "+cpuset +cpu +io +memory +pids");
}

TEST(CgroupPlacement, EnterLeafNamesWhatFailed) {
  TempDir root;
  auto missing = enterLeaf(root.path(), {"/gone/agent", "/gone"});
  ASSERT_FALSE(missing);
  EXPECT_NE(
      missing.error().message.find("create the agent's cgroup '" + root.path() + "/gone/agent'"),
      std::string::npos)
      << missing.error().message;
}

}  // namespace
}  // namespace spacelet::agent::daemon
