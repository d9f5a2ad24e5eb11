// Tests of the gpu_allocations table: a Space's grant is replaced as a whole, a GPU has one
// holder (EBUSY naming it), rows survive closing and reopening the database, go with their
// Space, and a version-1 database migrates to the table without losing its Spaces.
#include "agent/store/gpu_allocations.h"

#include <gtest/gtest.h>

#include "agent/store/store.h"
#include "test_env.h"

namespace spacelet::agent::store {
namespace {

using spacelet::testing::TempDir;

Space space(const std::string& author, const std::string& name) {
  Space s;
  s.id = {author, name};
  s.sdk = "docker";
  s.hardwareRequested = "t4-small";
  return s;
}

class GpuAllocations : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().message;
    store_.emplace(std::move(*opened));
    ASSERT_TRUE(store_->insertSpace(space("alice", "chat")));
    ASSERT_TRUE(store_->insertSpace(space("bob", "draw")));
  }
  std::vector<GpuAllocationRow> rows() {
    auto loaded = loadGpuAllocations(store_->db());
    EXPECT_TRUE(loaded) << loaded.error().message;
    return loaded ? *loaded : std::vector<GpuAllocationRow>{};
  }
  TempDir dir_;
  std::optional<Store> store_;
};

TEST_F(GpuAllocations, GrantIsReplacedAsAWholeAndKeepsItsGrantTime) {
  ASSERT_TRUE(setGpuAllocations(store_->db(), "alice/chat", {"nvidia.com/gpu=0"}, 100));
  ASSERT_TRUE(
      setGpuAllocations(store_->db(), "alice/chat", {"nvidia.com/gpu=0", "nvidia.com/gpu=1"}, 200));
  EXPECT_EQ(rows(), (std::vector<GpuAllocationRow>{{"nvidia.com/gpu=0", "alice/chat", 100},
                                                   {"nvidia.com/gpu=1", "alice/chat", 200}}));
  ASSERT_TRUE(setGpuAllocations(store_->db(), "alice/chat", {"nvidia.com/gpu=1"}, 300));
  EXPECT_EQ(rows(), (std::vector<GpuAllocationRow>{{"nvidia.com/gpu=1", "alice/chat", 200}}));
  ASSERT_TRUE(setGpuAllocations(store_->db(), "alice/chat", {}, 400));
  EXPECT_TRUE(rows().empty());
}

TEST_F(GpuAllocations, AGpuHasOneHolder) {
  ASSERT_TRUE(setGpuAllocations(store_->db(), "alice/chat", {"nvidia.com/gpu=0"}, 100));
  auto taken =
      setGpuAllocations(store_->db(), "bob/draw", {"nvidia.com/gpu=1", "nvidia.com/gpu=0"}, 200);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, EBUSY);
  EXPECT_NE(taken.error().message.find("held by 'alice/chat'"), std::string::npos)
      << taken.error().message;
  // All or nothing: bob got neither GPU.
  EXPECT_EQ(rows(), (std::vector<GpuAllocationRow>{{"nvidia.com/gpu=0", "alice/chat", 100}}));
}

TEST_F(GpuAllocations, RowsSurviveReopeningAndGoWithTheirSpace) {
  ASSERT_TRUE(setGpuAllocations(store_->db(), "alice/chat", {"nvidia.com/gpu=0"}, 100));
  ASSERT_TRUE(setGpuAllocations(store_->db(), "bob/draw", {"nvidia.com/gpu=1"}, 100));
  store_.reset();
  auto reopened = Store::open(dir_ / "state.db");
  ASSERT_TRUE(reopened) << reopened.error().message;
  store_.emplace(std::move(*reopened));
  EXPECT_EQ(rows().size(), 2u);
  ASSERT_TRUE(store_->deleteSpace({"bob", "draw"}));
  EXPECT_EQ(rows(), (std::vector<GpuAllocationRow>{{"nvidia.com/gpu=0", "alice/chat", 100}}));
}

TEST(GpuAllocationsMigration, VersionOneDatabaseKeepsItsSpaces) {
  TempDir dir;
  {
    std::vector<Migration> v1(schemaMigrations().begin(), schemaMigrations().begin() + 1);
    auto old = Store::open(dir / "state.db", v1);
    ASSERT_TRUE(old) << old.error().message;
    ASSERT_TRUE(old->insertSpace(space("alice", "chat")));
    EXPECT_FALSE(loadGpuAllocations(old->db()));  // no table yet
  }
  auto store = Store::open(dir / "state.db");
  ASSERT_TRUE(store) << store.error().message;
  auto spaces = store->loadSpaces();
  ASSERT_TRUE(spaces);
  EXPECT_EQ(spaces->size(), 1u);
  EXPECT_TRUE(setGpuAllocations(store->db(), "alice/chat", {"nvidia.com/gpu=0"}, 1));
  auto rows = loadGpuAllocations(store->db());
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace spacelet::agent::store
