// Listing interfaces from /proc/net/dev text (what reconcile uses instead of a link dump).
#include <gtest/gtest.h>

#include "rtnl.h"

namespace spacelet::netpolicy {
namespace {

TEST(ProcNetDev, ListsEveryInterfaceName) {
  constexpr char kText[] =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets\n"
      "    lo:       0       0    0    0    0     0          0         0        0       0\n"
      "sp-aaaaaaaaaaaa:   1300      12    0    0    0     0          0         0     2300      20\n"
      "  u1234n: 99 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
  EXPECT_EQ(parseProcNetDev(kText), (std::vector<std::string>{"lo", "sp-aaaaaaaaaaaa", "u1234n"}));
  EXPECT_TRUE(parseProcNetDev("").empty());
  EXPECT_TRUE(parseProcNetDev("header\nheader\n").empty());
}

}  // namespace
}  // namespace spacelet::netpolicy
