// Tests of the API socket outside systemd: created with the configured mode, a stale file from
// a crashed agent replaced, a live one or a non-socket refused; the state directory lock; the
// cgroup mode of the node.
#include "agent/daemon/listen_socket.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "agent/daemon/instance_lock.h"
#include "agent/daemon/node_facts.h"
#include "test_env.h"

namespace spacelet::agent::daemon {
namespace {

using spacelet::testing::TempDir;

TEST(ListenSocket, BindsWithModeAndRemovesOnlyItsOwnFile) {
  TempDir dir;
  std::string path = dir / "run/api.sock";
  auto s = acquireListenSocket({path, 0660, std::nullopt});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->activated);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  // A live agent on the path is refused.
  auto second = acquireListenSocket({path, 0660, std::nullopt});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, EADDRINUSE);
  EXPECT_NE(second.error().message.find("another spaceletd is listening"), std::string::npos);
  releaseListenSocket(*s);
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(ListenSocket, ReplacesAStaleSocketAndRefusesOtherFiles) {
  TempDir dir;
  std::string path = dir / "api.sock";
  {
    auto crashed = acquireListenSocket({path, 0600, std::nullopt});
    ASSERT_TRUE(crashed);
  }  // closed without removing the file: what kill -9 leaves behind
  ASSERT_EQ(::access(path.c_str(), F_OK), 0);
  auto fresh = acquireListenSocket({path, 0600, std::nullopt});
  ASSERT_TRUE(fresh) << fresh.error().message;
  std::ofstream(dir / "file") << "x";
  auto clash = acquireListenSocket({dir / "file", 0600, std::nullopt});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("is not a socket"), std::string::npos);
}

TEST(ListenSocket, GroupsAreLookedUp) {
  auto root = lookupGroup("root");
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, 0u);
  auto none = lookupGroup("spacelet-no-such-group-xyz");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(InstanceLock, OneAgentPerStateDirectory) {
  TempDir dir;
  auto first = lockStateDir(dir.path());
  ASSERT_TRUE(first) << first.error().message;
  auto second = lockStateDir(dir.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, EBUSY);
  EXPECT_NE(second.error().message.find("(pid " + std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error().message;
  first->reset();
  EXPECT_TRUE(lockStateDir(dir.path()));
}

TEST(NodeFacts, CgroupModeAndCapacity) {
  EXPECT_EQ(detectCgroupMode("/nonexistent/cgroup"), "none");
  TempDir dir;
  EXPECT_EQ(detectCgroupMode(dir.path()), "legacy");  // a plain directory: no cgroup2 anywhere
  auto facts = readNodeFacts("1.2.3", "/sys/fs/cgroup");
  EXPECT_EQ(facts.version, "1.2.3");
  EXPECT_GT(facts.cpus, 0u);
  EXPECT_GT(facts.memoryBytes, 0u);
  EXPECT_FALSE(facts.hostname.empty());
}

}  // namespace
}  // namespace spacelet::agent::daemon
