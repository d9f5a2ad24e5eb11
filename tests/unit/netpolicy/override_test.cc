// The text form of per-Space overrides (CLI and state files).
#include <gtest/gtest.h>

#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::netpolicy {
namespace {

TEST(Override, ParsesAndPrintsBack) {
  for (const char* text :
       {"allow tcp 10.1.2.3/32 5432", "deny udp fd00::/8 1000-2000", "allow tcp 0.0.0.0/0 22"}) {
    auto o = Override::parse(text);
    ASSERT_TRUE(o) << text << ": " << o.error().message;
    EXPECT_EQ(o->toString(), text);
  }
  auto o = Override::parse("  deny   tcp 192.168.0.0/16   1-65535 ");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->verdict, Verdict::kDeny);
  EXPECT_EQ(o->firstPort, 1);
  EXPECT_EQ(o->lastPort, 65535);
}

TEST(Override, ErrorsQuoteTheBadPart) {
  struct Case {
    const char* text;
    const char* fragment;
  } cases[] = {
      {"allow tcp 10.0.0.1/32", "expected '<allow|deny>"},
      {"permit tcp 10.0.0.1/32 1", "'permit' is not 'allow' or 'deny'"},
      {"allow icmp 10.0.0.1/32 1", "'icmp' is not 'tcp' or 'udp'"},
      {"allow tcp 10.0.0.1/8 1", "'10.0.0.1/8' has host bits set"},
      {"allow tcp nowhere 1", "'nowhere' is not an IP address"},
      {"allow tcp 10.0.0.0/8 0", "'0' is not a port"},
      {"allow tcp 10.0.0.0/8 9-3", "'9-3' is reversed"},
      {"allow tcp 10.0.0.0/8 70000", "'70000' is not a port"},
  };
  for (const auto& c : cases) {
    auto o = Override::parse(c.text);
    ASSERT_FALSE(o) << c.text;
    EXPECT_NE(o.error().message.find(c.fragment), std::string::npos) << o.error().message;
  }
}

}  // namespace
}  // namespace spacelet::netpolicy
