// Unit conversions shared by the cgroup plans.
#include "conversions.h"

#include <gtest/gtest.h>

namespace spacelet::sandbox::cgroup {
namespace {

TEST(Conversions, SharesToWeightKeepsDefaultsAndEnds) {
  EXPECT_EQ(cpuSharesToWeight(0), 0u);
  EXPECT_EQ(cpuSharesToWeight(2), 1u);
  EXPECT_EQ(cpuSharesToWeight(1024), 100u);
  EXPECT_EQ(cpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(cpuSharesToWeight(512), 59u);
  EXPECT_EQ(cpuSharesToWeight(2048), 174u);
  for (uint64_t shares = 2; shares < kMaxCpuShares; shares += 7) {
    ASSERT_LE(cpuSharesToWeight(shares), cpuSharesToWeight(shares + 7)) << shares;
    ASSERT_GE(cpuSharesToWeight(shares), 1u);
    ASSERT_LE(cpuSharesToWeight(shares), kMaxCpuWeight);
  }
}

TEST(Conversions, BlkioWeight) {
  EXPECT_EQ(blkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(blkioWeightToIoWeight(1000), 10000u);
  EXPECT_EQ(blkioWeightToIoWeight(500), 4950u);
}

TEST(Conversions, SwapIsMemoryPlusSwap) {
  EXPECT_EQ(**swapMaxV2(100, 300), "200");
  EXPECT_EQ(**swapMaxV2(100, 100), "0");
  EXPECT_EQ(**swapMaxV2(100, std::nullopt), "0");  // a limit without swap grants none
  EXPECT_EQ(**swapMaxV2(100, -1), "max");
  EXPECT_EQ(**swapMaxV2(-1, std::nullopt), "max");
  EXPECT_FALSE(swapMaxV2(std::nullopt, std::nullopt)->has_value());
  auto below = swapMaxV2(300, 100);
  ASSERT_FALSE(below);
  EXPECT_NE(below.error().message.find("'100' is below the memory limit '300'"), std::string::npos);
  EXPECT_FALSE(swapMaxV2(std::nullopt, 100));
}

TEST(Conversions, CpuLists) {
  for (const char* ok : {"0", "0-3", "0-3,5", "1,3,5-7", "10-10"}) EXPECT_TRUE(isCpuList(ok)) << ok;
  for (const char* bad : {"", "0-", "-1", "3-1", "0,,1", "0 1", "a", "0-3,", "1;2"}) {
    EXPECT_FALSE(isCpuList(bad)) << bad;
  }
}

TEST(Conversions, HugepageNames) {
  EXPECT_EQ(hugepageSizeName(2048), "2MB");
  EXPECT_EQ(hugepageSizeName(1048576), "1GB");
  EXPECT_EQ(hugepageSizeName(64), "64KB");
}

}  // namespace
}  // namespace spacelet::sandbox::cgroup
