// Tests of the supervisor's GPU grants: the pure decision (what a Space keeps across a flavor
// change, what earlier waiters reserve, what can never be served) and GpuGrants over a real
// SQLite store and CDI specs in a temp dir: waiting, release to the waiter, grants reloaded
// after a "restart" (a new GpuGrants on the same database), and /v1/info's usage.
#include "agent/supervisor/gpu_grant.h"

#include <gtest/gtest.h>

#include <fstream>

#include "agent/store/store.h"
#include "test_env.h"

namespace spacelet::agent::supervisor {
namespace {

using spacelet::testing::TempDir;

gpu::Gpu gpuOf(const std::string& index, const std::string& model) {
  return {"nvidia.com/gpu=" + index, "nvidia.com/gpu", model, "", {"/dev/nvidia" + index}};
}

const std::vector<gpu::Gpu> kNode = {gpuOf("0", "Tesla T4"), gpuOf("1", "Tesla T4"),
                                     gpuOf("2", "NVIDIA A10G")};

config::Flavor flavor(uint64_t gpus, const std::string& model) {
  config::Flavor f;
  f.gpus = gpus;
  f.gpuKind = "nvidia.com/gpu";
  f.gpuModel = model;
  return f;
}

TEST(DecideGrant, KeepsWhatStillFitsAndTopsUp) {
  std::vector<gpu::Allocation> held = {{"alice/chat", "nvidia.com/gpu=1"}};
  auto same = decideGrant(kNode, held, {}, gpuRequest("alice/chat", flavor(1, "T4")));
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->gpus, std::vector<std::string>{"nvidia.com/gpu=1"});
  auto more = decideGrant(kNode, held, {}, gpuRequest("alice/chat", flavor(2, "T4")));
  ASSERT_TRUE(more && more->granted);
  EXPECT_EQ(more->gpus, (std::vector<std::string>{"nvidia.com/gpu=0", "nvidia.com/gpu=1"}));
}

TEST(DecideGrant, AFlavorChangeDoesNotTakeTheGpuTheRunningDeploymentUses) {
  // alice moves from a T4 to an A10G while her T4 deployment still serves.
  std::vector<gpu::Allocation> held = {{"alice/chat", "nvidia.com/gpu=0"},
                                       {"bob/draw", "nvidia.com/gpu=2"}};
  auto moved = decideGrant(kNode, held, {}, gpuRequest("alice/chat", flavor(1, "A10G")));
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_FALSE(moved->granted);
  EXPECT_NE(moved->reason.find("in use by 'bob/draw'"), std::string::npos) << moved->reason;
  // Another Space cannot have alice's T4 meanwhile, and gets the free one.
  auto carol = decideGrant(kNode, held, {}, gpuRequest("carol/tts", flavor(1, "T4")));
  ASSERT_TRUE(carol && carol->granted);
  EXPECT_EQ(carol->gpus, std::vector<std::string>{"nvidia.com/gpu=1"});
}

TEST(DecideGrant, EarlierWaitersReserveWhatTheyCanUse) {
  std::vector<gpu::Allocation> held = {{"bob/draw", "nvidia.com/gpu=0"}};
  std::vector<gpu::Request> earlier = {gpuRequest("alice/big", flavor(2, "T4"))};
  auto later = decideGrant(kNode, held, earlier, gpuRequest("carol/tts", flavor(1, "T4")));
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_FALSE(later->granted) << "the free T4 is alice's turn";
  EXPECT_TRUE(later->reason.starts_with("waiting for GPU")) << later->reason;
  auto other = decideGrant(kNode, held, earlier, gpuRequest("dave/x", flavor(1, "A10G")));
  ASSERT_TRUE(other && other->granted) << "an A10G is of no use to alice";
}

TEST(DecideGrant, ARequestTheNodeCanNeverServeIsAnError) {
  auto never = decideGrant(kNode, {}, {}, gpuRequest("alice/chat", flavor(4, "L4")));
  ASSERT_FALSE(never);
  EXPECT_NE(never.error().message.find("this node has 0"), std::string::npos)
      << never.error().message;
}

class GpuGrantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::open(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().message;
    store_.emplace(std::move(*opened));
    for (const char* name : {"chat", "draw"}) {
      store::Space s;
      s.id = {"alice", name};
      s.sdk = "docker";
      ASSERT_TRUE(store_->insertSpace(s));
    }
    std::filesystem::create_directories(dir_ / "cdi");
    std::ofstream(dir_ / "cdi/test.yaml") << "cdiVersion: 0.6.0\n"
                                             "kind: nvidia.com/gpu\n"
                                             "devices:\n"
                                             "- name: '0'\n"
                                             "  annotations: {spacelet.dev/gpu-model: Tesla T4}\n"
                                             "  containerEdits:\n"
                                             "    deviceNodes: [{path: /dev/nvidia0}]\n";
  }
  std::unique_ptr<GpuGrants> open() {
    auto grants = GpuGrants::open({dir_ / "cdi"}, store_->db());
    EXPECT_TRUE(grants) << grants.error().message;
    return grants ? std::move(*grants) : nullptr;
  }
  TempDir dir_;
  std::optional<store::Store> store_;
};

TEST_F(GpuGrantsTest, SecondSpaceWaitsThenGetsTheReleasedGpuAfterARestart) {
  auto grants = open();
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->inventory().size(), 1u);
  auto first = grants->acquire("alice/chat", flavor(1, "T4"));
  ASSERT_TRUE(first && first->granted);
  ASSERT_EQ(first->gpus.size(), 1u);
  EXPECT_EQ(first->gpus[0].model, "Tesla T4");
  auto second = grants->acquire("alice/draw", flavor(1, "T4"));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->granted);
  EXPECT_EQ(second->reason,
            "waiting for GPU: needs 1 'nvidia.com/gpu' of model 'T4', 0 of 1 free (in use by "
            "'alice/chat')");
  EXPECT_EQ(grants->waiting(), std::vector<std::string>{"alice/draw"});
  auto usage = grants->usageJson();
  EXPECT_EQ(usage[0]["space"], "alice/chat");
  EXPECT_EQ(usage[0]["waiting"], nlohmann::json::array({"alice/draw"}));

  grants = open();  // the agent restarts: the grant is read back from the store
  EXPECT_EQ(grants->held("alice/chat"), std::vector<std::string>{"nvidia.com/gpu=0"});
  auto again = grants->acquire("alice/draw", flavor(1, "T4"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->granted);
  auto released = grants->keepOnly("alice/chat", {});
  ASSERT_TRUE(released);
  EXPECT_TRUE(*released);
  auto unchanged = grants->keepOnly("alice/chat", {});
  ASSERT_TRUE(unchanged);
  EXPECT_FALSE(*unchanged);
  auto now = grants->acquire("alice/draw", flavor(1, "T4"));
  ASSERT_TRUE(now && now->granted);
  EXPECT_TRUE(grants->waiting().empty());
  EXPECT_EQ(grants->usageJson()[0]["space"], "alice/draw");
}

TEST_F(GpuGrantsTest, AFlavorTheNodeCannotServeFailsAndDoesNotWait) {
  auto grants = open();
  ASSERT_TRUE(grants);
  auto never = grants->acquire("alice/chat", flavor(1, "A100"));
  ASSERT_FALSE(never);
  EXPECT_NE(never.error().message.find("pick a flavor this node can serve"), std::string::npos);
  EXPECT_TRUE(grants->waiting().empty());
}

}  // namespace
}  // namespace spacelet::agent::supervisor
