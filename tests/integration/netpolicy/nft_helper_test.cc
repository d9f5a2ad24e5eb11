// spacelet-nft-helper through NftRunner, in a test-made node namespace: documents apply, a
// helper that died is replaced, one that hangs or dies while applying fails that document
// (never reported as done), and nft's errors come back.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <thread>

#include "mini_node.h"
#include "nft_runner.h"
#include "test_env.h"

namespace spacelet::netpolicy::testing {
namespace {

using namespace std::chrono_literals;

nlohmann::json addTable(const std::string& name) {
  return {{"nftables", {{{"add", {{"table", {{"family", "inet"}, {"name", name}}}}}}}}};
}

class NftHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
    node_ = std::make_unique<MiniNode>(false);
    ns_ = UniqueFd(::open(node_->node().path().c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(ns_);
  }
  NftRunner runner(std::chrono::milliseconds timeout = 10s) {
    return NftRunner("/usr/sbin/nft", SPACELET_TEST_NFT_HELPER, ns_.view(), timeout);
  }
  bool tableExists(const std::string& name) {
    return spacelet::testing::runCommand(
               {"ip", "netns", "exec", node_->node().name(), "nft", "list", "table", "inet", name})
               .status == 0;
  }
  // Waits until `pid` has exited (it stays a zombie for the runner to reap).
  static void waitExited(pid_t pid) {
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
  }

  std::unique_ptr<MiniNode> node_;
  UniqueFd ns_;
};

TEST_F(NftHelperTest, AppliesInTheNodeNamespaceWithOneProcess) {
  auto nft = runner();
  ASSERT_TRUE(nft.apply(addTable("spacelet_h1")));
  pid_t first = nft.helperPid();
  ASSERT_GT(first, 0);
  ASSERT_TRUE(nft.apply(addTable("spacelet_h2")));
  EXPECT_EQ(nft.helperPid(), first);
  EXPECT_TRUE(tableExists("spacelet_h1"));
  EXPECT_TRUE(tableExists("spacelet_h2"));
}

TEST_F(NftHelperTest, NftErrorsComeBackAndTheHelperStays) {
  auto nft = runner();
  nlohmann::json bad = {
      {"nftables", {{{"delete", {{"table", {{"family", "inet"}, {"name", "spacelet_none"}}}}}}}}};
  auto failed = nft.apply(bad);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, EPROTO);
  EXPECT_NE(failed.error().message.find("No such file or directory"), std::string::npos)
      << failed.error().message;
  pid_t pid = nft.helperPid();
  ASSERT_TRUE(nft.apply(addTable("spacelet_h3")));
  EXPECT_EQ(nft.helperPid(), pid);
}

TEST_F(NftHelperTest, ADeadHelperIsReplaced) {
  auto nft = runner();
  ASSERT_TRUE(nft.apply(addTable("spacelet_h4")));
  pid_t first = nft.helperPid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  waitExited(first);
  auto applied = nft.apply(addTable("spacelet_h5"));
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_NE(nft.helperPid(), first);
  EXPECT_TRUE(tableExists("spacelet_h5"));
}

TEST_F(NftHelperTest, DyingWhileApplyingFailsThatChange) {
  auto nft = runner();
  ASSERT_TRUE(nft.apply(addTable("spacelet_h6")));
  pid_t pid = nft.helperPid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  auto pending = nft.start(addTable("spacelet_h7"));
  ASSERT_TRUE(pending);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  auto result = pending->finish();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, EPIPE);
  EXPECT_NE(result.error().message.find("died while applying"), std::string::npos);
  EXPECT_FALSE(tableExists("spacelet_h7"));
  ASSERT_TRUE(nft.apply(addTable("spacelet_h8")));  // a new helper
  EXPECT_NE(nft.helperPid(), pid);
}

TEST_F(NftHelperTest, AHungHelperIsKilledAfterTheTimeout) {
  auto nft = runner(300ms);
  ASSERT_TRUE(nft.apply(addTable("spacelet_h9")));
  pid_t pid = nft.helperPid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  auto start = std::chrono::steady_clock::now();
  auto hung = nft.apply(addTable("spacelet_h10"));
  ASSERT_FALSE(hung);
  EXPECT_EQ(hung.error().code, ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(nft.helperPid(), -1);
  EXPECT_FALSE(tableExists("spacelet_h10"));
  ASSERT_TRUE(nft.apply(addTable("spacelet_h11")));
  EXPECT_NE(nft.helperPid(), pid);
}

}  // namespace
}  // namespace spacelet::netpolicy::testing
