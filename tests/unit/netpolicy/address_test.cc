// IP address and prefix values: parsing, formatting, containment and the pool arithmetic.
#include "spacelet/netpolicy/address.h"

#include <gtest/gtest.h>

namespace spacelet::netpolicy {
namespace {

TEST(Address, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::parse("10.213.0.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->toString(), "10.213.0.1");
  auto v6 = IpAddress::parse("FD5A:00CE::0001");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->isV4());
  EXPECT_EQ(v6->toString(), "fd5a:ce::1");
}

TEST(Address, RejectsGarbageWithTheValueQuoted) {
  auto bad = IpAddress::parse("10.0.0.256");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'10.0.0.256'"), std::string::npos);
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("fd00::1::2"));
}

TEST(Address, PlusCarriesAcrossBytes) {
  EXPECT_EQ(IpAddress::parse("10.0.0.255")->plus(1).toString(), "10.0.1.0");
  EXPECT_EQ(IpAddress::parse("10.213.0.0")->plus(65535).toString(), "10.213.255.255");
  EXPECT_EQ(IpAddress::parse("fd00::ffff")->plus(1).toString(), "fd00::1:0");
  EXPECT_EQ(IpAddress::parse("fd00::")->plus(uint64_t{1} << 40).toString(), "fd00::100:0:0");
}

TEST(Prefix, ParsesLengthsAndBareAddresses) {
  auto p = Prefix::parse("10.0.0.0/8");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->length, 8);
  EXPECT_EQ(Prefix::parse("10.1.2.3")->length, 32);
  EXPECT_EQ(Prefix::parse("fd00::1")->length, 128);
  EXPECT_FALSE(Prefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(Prefix::parse("fd00::/129"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/"));
  EXPECT_FALSE(Prefix::parse("10.0.0.0/8x"));
}

TEST(Prefix, ContainsAndNetwork) {
  Prefix cgnat = *Prefix::parse("100.64.0.0/10");
  EXPECT_TRUE(cgnat.contains(*IpAddress::parse("100.127.255.255")));
  EXPECT_FALSE(cgnat.contains(*IpAddress::parse("100.128.0.0")));
  EXPECT_FALSE(cgnat.contains(*IpAddress::parse("::ffff:100.64.0.1")));
  EXPECT_TRUE(Prefix::parse("10.0.0.0/8")->contains(*Prefix::parse("10.1.0.0/16")));
  EXPECT_FALSE(Prefix::parse("10.1.0.0/16")->contains(*Prefix::parse("10.0.0.0/8")));
  EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
  EXPECT_EQ(Prefix::parse("10.213.7.9/16")->network().toString(), "10.213.0.0/16");
  EXPECT_EQ(Prefix::parse("fd5a:ce::77/121")->network().toString(), "fd5a:ce::/121");
  EXPECT_EQ(Prefix::parse("10.0.0.0/30")->size(), 4u);
  EXPECT_EQ(Prefix::parse("fd00::/64")->size(), uint64_t{1} << 63);
}

}  // namespace
}  // namespace spacelet::netpolicy
