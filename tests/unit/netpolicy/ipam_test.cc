// IPAM: slot allocation (lowest free first), the addresses of a slot, exhaustion, collisions,
// and restoring leases read from disk. The allocation trace is pinned by a golden file.
#include "ipam.h"

#include <gtest/gtest.h>

#include "golden.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {
namespace {

PoolLayout smallLayout() {
  return PoolLayout{*Prefix::parse("10.213.0.0/29"), *Prefix::parse("fd5a:ce::/125")};
}

std::string describe(const PoolLayout& layout, const Lease& l) {
  SlotAddresses a = slotAddresses(layout, l.index);
  return l.spaceId + " " + l.ifname + " slot " + std::to_string(l.index) + " host " +
         a.host4.toString() + " space " + a.space4.toString() + " host6 " + a.host6->toString() +
         " space6 " + a.space6->toString() + " port " + std::to_string(l.appPort) + "\n";
}

TEST(Ipam, AllocationTraceMatchesGolden) {
  Ipam ipam(smallLayout());
  std::string trace;
  auto step = [&](const std::string& what, const Result<Lease>& r) {
    trace += what + ": " + (r ? describe(ipam.layout(), *r) : "error: " + r.error().message + "\n");
  };
  step("allocate a", ipam.allocate("alice/a", 7860));
  step("allocate b", ipam.allocate("bob/b", 8080));
  step("allocate c", ipam.allocate("carol/c", 7860));
  ipam.release("bob/b");
  trace += "release b\n";
  step("allocate d (reuses b's slot)", ipam.allocate("dave/d", 7860));
  step("allocate e", ipam.allocate("erin/e", 7860));
  step("allocate f (pool full)", ipam.allocate("frank/f", 7860));
  step("allocate a again (already leased)", ipam.allocate("alice/a", 7860));
  trace += "leases:\n";
  for (const auto& l : ipam.leases()) trace += "  " + describe(ipam.layout(), l);
  testing::expectGolden("ipam_trace.txt", trace);
}

TEST(Ipam, CapacityIsTheSmallerPool) {
  EXPECT_EQ(smallLayout().capacity(), 4u);
  EXPECT_EQ((PoolLayout{*Prefix::parse("10.0.0.0/16"), std::nullopt}).capacity(), 32768u);
  EXPECT_EQ((PoolLayout{*Prefix::parse("10.0.0.0/16"), *Prefix::parse("fd00::/120")}).capacity(),
            128u);
  EXPECT_EQ((PoolLayout{*Prefix::parse("10.0.0.0/31"), std::nullopt}).capacity(), 1u);
}

TEST(Ipam, ExhaustionIsAClearError) {
  Ipam ipam(PoolLayout{*Prefix::parse("10.9.0.0/31"), std::nullopt});
  ASSERT_TRUE(ipam.allocate("one", 1));
  auto full = ipam.allocate("two", 1);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ENOSPC);
  EXPECT_NE(full.error().message.find("'10.9.0.0/31' is exhausted"), std::string::npos);
  EXPECT_NE(full.error().message.find("enlarge 'ipv4_pool'"), std::string::npos);
}

TEST(Ipam, RestoreRejectsCollisionsAndOutOfPool) {
  Ipam ipam(smallLayout());
  Lease a{"alice/a", interfaceName("alice/a"), 0, 7860};
  ASSERT_TRUE(ipam.restore(a, "leases/a.json"));
  auto sameSlot = ipam.restore({"bob/b", interfaceName("bob/b"), 0, 7860}, "leases/b.json");
  ASSERT_FALSE(sameSlot);
  EXPECT_NE(sameSlot.error().message.find("claims slot 0"), std::string::npos);
  auto sameName = ipam.restore({"alice/a", a.ifname, 2, 7860}, "leases/a2.json");
  ASSERT_FALSE(sameName);
  EXPECT_NE(sameName.error().message.find("collides"), std::string::npos);
  auto outside = ipam.restore({"carol/c", interfaceName("carol/c"), 9, 7860}, "leases/c.json");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message.find("outside the pool"), std::string::npos);
  // Restored slots are not handed out again.
  auto next = ipam.allocate("dave/d", 1);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->index, 1u);
}

TEST(Ipam, InterfaceNamesAreShortStableAndDistinct) {
  EXPECT_EQ(interfaceName("alice/demo"), interfaceName("alice/demo"));
  EXPECT_NE(interfaceName("alice/demo"), interfaceName("alice/demo2"));
  for (const char* id :
       {"", "a", "a-very-long-user-name/a-very-long-space-name-with-more", "ünï/ç"}) {
    std::string name = interfaceName(id);
    EXPECT_EQ(name.size(), 15u) << name;
    EXPECT_EQ(name.rfind("sp-", 0), 0u);
    EXPECT_EQ(name.find_first_not_of("sp-abcdefghijklmnopqrstuvwxyz234567"), std::string::npos);
  }
}

}  // namespace
}  // namespace spacelet::netpolicy
