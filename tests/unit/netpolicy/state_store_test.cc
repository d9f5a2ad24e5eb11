// The state directory: lease and policy file formats, atomic replacement, the generation
// counter, and recovery from a lease file a power loss left empty. Runs on a temp dir.
#include "state_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "golden.h"
#include "test_env.h"

namespace spacelet::netpolicy {
namespace {

Lease lease(const std::string& id, uint32_t index) {
  return Lease{id, interfaceName(id), index, 7860};
}

TEST(StateFormats, LeaseAndPolicyJsonMatchGolden) {
  SpacePolicy policy{
      "alice/demo", {*Override::parse("allow tcp 10.1.2.3/32 5432")}, {{8443, 7860}}};
  testing::expectGolden("lease.json", leaseToJson(lease("alice/demo", 3)).dump(2) + "\n");
  testing::expectGolden("policy.json", policyToJson(policy).dump(2) + "\n");
  auto back = policyFromJson(policyToJson(policy));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->overrides, policy.overrides);
  EXPECT_EQ(back->published, policy.published);
  EXPECT_EQ(*leaseFromJson(leaseToJson(lease("alice/demo", 3))), lease("alice/demo", 3));
}

TEST(StateFormats, BadFilesNameTheField) {
  auto missing = leaseFromJson({{"space_id", "a"}, {"ifname", interfaceName("a")}, {"index", 1}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'app_port'"), std::string::npos);
  auto wrongType = leaseFromJson(
      {{"space_id", "a"}, {"ifname", interfaceName("a")}, {"index", "one"}, {"app_port", 1}});
  ASSERT_FALSE(wrongType);
  EXPECT_NE(wrongType.error().message.find("'index'"), std::string::npos);
  auto wrongName =
      leaseFromJson({{"space_id", "a"}, {"ifname", "sp-x"}, {"index", 1}, {"app_port", 1}});
  ASSERT_FALSE(wrongName);
  EXPECT_NE(wrongName.error().message.find("'sp-x'"), std::string::npos);
  auto badOverride = policyFromJson({{"space_id", "a"},
                                     {"overrides", {"allow tcp nowhere 1"}},
                                     {"published", nlohmann::json::array()}});
  ASSERT_FALSE(badOverride);
  EXPECT_NE(badOverride.error().message.find("'nowhere'"), std::string::npos);
}

TEST(StateStore, SavesLoadsAndRemoves) {
  spacelet::testing::TempDir dir("netstate");
  auto store = StateStore::open(dir / "state");
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(store->saveLease(lease("alice/a", 0)));
  ASSERT_TRUE(store->saveLease(lease("bob/b", 1)));
  ASSERT_TRUE(store->savePolicy(interfaceName("bob/b"), {"bob/b", {}, {{80, 8080}}}));
  auto leases = store->loadLeases();
  ASSERT_TRUE(leases) << leases.error().message;
  ASSERT_EQ(leases->size(), 2u);
  auto policies = store->loadPolicies();
  ASSERT_TRUE(policies);
  ASSERT_EQ(policies->count(interfaceName("bob/b")), 1u);
  EXPECT_EQ(policies->at(interfaceName("bob/b")).published[0].spacePort, 8080);
  ASSERT_TRUE(store->removeLease(interfaceName("alice/a")));
  ASSERT_TRUE(store->removeLease(interfaceName("alice/a")));                  // already gone: fine
  ASSERT_TRUE(store->savePolicy(interfaceName("bob/b"), {"bob/b", {}, {}}));  // empty: removed
  EXPECT_EQ(store->loadLeases()->size(), 1u);
  EXPECT_TRUE(store->loadPolicies()->empty());
  // Nothing but the final files: no temp files are left behind.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "state")) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST(StateStore, GenerationCountsChanges) {
  spacelet::testing::TempDir dir("netstate");
  auto store = StateStore::open(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->generation(), 0u);
  EXPECT_EQ(*store->bumpGeneration(), 1u);
  EXPECT_EQ(*store->bumpGeneration(), 2u);
  auto other = StateStore::open(dir.path());  // another process sees the same counter
  EXPECT_EQ(*other->generation(), 2u);
  auto lock = store->lock();
  EXPECT_TRUE(lock);
}

TEST(StateStore, EmptyLeaseFromAPowerLossIsDropped) {
  spacelet::testing::TempDir dir("netstate");
  auto store = StateStore::open(dir.path());
  ASSERT_TRUE(store);
  std::ofstream(dir / "leases/sp-aaaaaaaaaaaa.json");
  auto leases = store->loadLeases();
  ASSERT_TRUE(leases) << leases.error().message;
  EXPECT_TRUE(leases->empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "leases/sp-aaaaaaaaaaaa.json"));
}

TEST(StateStore, CorruptLeaseIsAnErrorNamingTheFile) {
  spacelet::testing::TempDir dir("netstate");
  auto store = StateStore::open(dir.path());
  ASSERT_TRUE(store);
  std::ofstream(dir / "leases/sp-bbbbbbbbbbbb.json") << "{not json";
  auto leases = store->loadLeases();
  ASSERT_FALSE(leases);
  EXPECT_NE(leases.error().message.find("sp-bbbbbbbbbbbb.json"), std::string::npos);
}

}  // namespace
}  // namespace spacelet::netpolicy
