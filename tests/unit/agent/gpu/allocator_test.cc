// allocate()/allocateQueue(): exclusive grants, the "waiting for GPU" reason, requests a node
// can never serve, restart idempotence, and a queue that does not starve multi-GPU Spaces.
#include "agent/gpu/allocator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace spacelet::agent::gpu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<Gpu> node() {
  return {
      {"nvidia.com/gpu=0", "nvidia.com/gpu", "Tesla T4", "GPU-0", {"/dev/nvidia0"}},
      {"nvidia.com/gpu=1", "nvidia.com/gpu", "Tesla T4", "GPU-1", {"/dev/nvidia1"}},
      {"nvidia.com/gpu=2", "nvidia.com/gpu", "NVIDIA A100-SXM4-80GB", "GPU-2", {"/dev/nvidia2"}}};
}

Request t4(const std::string& owner, unsigned count = 1) {
  return {owner, count, "nvidia.com/gpu", "T4"};
}

TEST(Allocator, GrantsTheLowestFreeMatchingGpus) {
  auto d = allocate(node(), {}, t4("alice/chat"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->granted);
  EXPECT_THAT(d->gpus, ElementsAre("nvidia.com/gpu=0"));
  d = allocate(node(), {{"bob/draw", "nvidia.com/gpu=0"}}, t4("alice/chat"));
  ASSERT_TRUE(d);
  EXPECT_THAT(d->gpus, ElementsAre("nvidia.com/gpu=1"));
  d = allocate(node(), {}, Request{"carol/big", 1, "nvidia.com/gpu", "A100"});
  ASSERT_TRUE(d);
  EXPECT_THAT(d->gpus, ElementsAre("nvidia.com/gpu=2"));
  d = allocate(node(), {}, Request{"dave/any", 3, "nvidia.com/gpu", ""});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->gpus.size(), 3u) << "an empty model takes any GPU of the kind";
}

TEST(Allocator, WaitsWhenAllMatchingGpusAreHeld) {
  std::vector<Allocation> held = {{"bob/draw", "nvidia.com/gpu=0"},
                                  {"erin/tts", "nvidia.com/gpu=1"}};
  auto d = allocate(node(), held, t4("alice/chat"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(d->granted);
  EXPECT_TRUE(d->gpus.empty());
  EXPECT_EQ(d->reason,
            "waiting for GPU: needs 1 'nvidia.com/gpu' of model 'T4', 0 of 2 free "
            "(in use by 'bob/draw', 'erin/tts')");
}

TEST(Allocator, RequestsTheNodeCanNeverServeFail) {
  auto d = allocate(node(), {}, t4("alice/chat", 3));
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message,
              HasSubstr("needs 3 'nvidia.com/gpu' of model 'T4' but this node has 2"));
  d = allocate(node(), {}, Request{"x/y", 1, "amd.com/gpu", ""});
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message, HasSubstr("this node has 0"));
}

TEST(Allocator, AnOwnerGetsItsOwnGpusBackAfterARestart) {
  std::vector<Allocation> held = {{"alice/chat", "nvidia.com/gpu=1"}};
  auto d = allocate(node(), held, t4("alice/chat"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->granted);
  EXPECT_THAT(d->gpus, ElementsAre("nvidia.com/gpu=1"));
  auto changed = allocate(node(), held, Request{"alice/chat", 1, "nvidia.com/gpu", "A100"});
  ASSERT_FALSE(changed);
  EXPECT_THAT(changed.error().message, HasSubstr("already holds 1 GPU(s) that do not fit"));
}

TEST(Allocator, ZeroGpusIsGrantedAtOnce) {
  auto d = allocate(node(), {}, Request{"cpu/only", 0, "nvidia.com/gpu", ""});
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->granted);
  EXPECT_TRUE(d->gpus.empty());
}

TEST(Allocator, AllocationsOfVanishedGpusHoldNothing) {
  std::vector<Allocation> held = {{"old/space", "nvidia.com/gpu=9"}};
  auto d = allocate(node(), held, t4("alice/chat", 2));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->granted);
  EXPECT_EQ(d->gpus.size(), 2u);
}

TEST(Allocator, QueueIsFirstComeFirstServedWithoutStarvation) {
  std::vector<Allocation> held = {{"bob/draw", "nvidia.com/gpu=0"}};
  // gpu=1 is free. The 2-GPU Space queued first waits and keeps the 1-GPU one behind it from
  // taking gpu=1; the A100 Space does not compete and is served.
  auto decisions =
      allocateQueue(node(), held,
                    {t4("alice/two", 2), t4("carol/one"),
                     Request{"dave/a100", 1, "nvidia.com/gpu", "A100"}, t4("erin/never", 5)});
  ASSERT_EQ(decisions.size(), 4u);
  EXPECT_FALSE(decisions[0].granted);
  EXPECT_THAT(decisions[0].reason, HasSubstr("1 of 2 free (in use by 'bob/draw')"));
  EXPECT_FALSE(decisions[1].granted);
  EXPECT_THAT(decisions[1].reason, HasSubstr("0 of 2 free"));
  EXPECT_TRUE(decisions[2].granted);
  EXPECT_THAT(decisions[2].gpus, ElementsAre("nvidia.com/gpu=2"));
  EXPECT_FALSE(decisions[3].granted);
  EXPECT_THAT(decisions[3].reason, HasSubstr("this node has 2"));
  // Once bob's GPU is released the 2-GPU Space goes first.
  auto later = allocateQueue(node(), {}, {t4("alice/two", 2), t4("carol/one")});
  EXPECT_TRUE(later[0].granted);
  EXPECT_THAT(later[0].gpus, ElementsAre("nvidia.com/gpu=0", "nvidia.com/gpu=1"));
  EXPECT_FALSE(later[1].granted);
}

TEST(Allocator, UsageShowsHolders) {
  auto rows = usage(node(), {{"bob/draw", "nvidia.com/gpu=1"}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].owner, "");
  EXPECT_EQ(rows[1].owner, "bob/draw");
  EXPECT_EQ(rows[1].gpu.model, "Tesla T4");
}

}  // namespace
}  // namespace spacelet::agent::gpu
