// Reading per-Space counters out of `nft -j list table` output (a trimmed real listing).
#include "counters.h"

#include <gtest/gtest.h>

namespace spacelet::netpolicy {
namespace {

constexpr char kListing[] = R"({"nftables": [{"metainfo": {"version": "1.0.6"}},
{"table": {"family": "inet", "name": "spacelet", "handle": 1}},
{"set": {"family": "inet", "name": "space_ifaces", "table": "spacelet", "type": "ifname",
  "elem": ["sp-aaaaaaaaaaaa", "sp-bbbbbbbbbbbb"]}},
{"set": {"family": "inet", "name": "space_tx", "table": "spacelet", "type": "ifname",
  "elem": [{"elem": {"val": "sp-aaaaaaaaaaaa", "counter": {"packets": 6, "bytes": 336}}},
           {"elem": {"val": "sp-bbbbbbbbbbbb", "counter": {"packets": 0, "bytes": 0}}}],
  "stmt": [{"counter": null}]}},
{"set": {"family": "inet", "name": "space_rx", "table": "spacelet", "type": "ifname",
  "elem": [{"elem": {"val": "sp-aaaaaaaaaaaa", "counter": {"packets": 4, "bytes": 9000000000}}}]}},
{"set": {"family": "inet", "name": "space_accepted", "table": "spacelet", "type": "ifname",
  "elem": [{"elem": {"val": "sp-aaaaaaaaaaaa", "counter": {"packets": 2, "bytes": 120}}}]}},
{"set": {"family": "inet", "name": "space_rejected", "table": "spacelet", "type": "ifname",
  "elem": [{"elem": {"val": "sp-aaaaaaaaaaaa", "counter": {"packets": 5, "bytes": 300}}}]}},
{"set": {"family": "inet", "name": "space_src4", "table": "spacelet",
  "type": ["ifname", "ipv4_addr"], "elem": [{"concat": ["sp-aaaaaaaaaaaa", "10.213.0.1"]}]}},
{"chain": {"family": "inet", "table": "spacelet", "name": "forward", "handle": 3}}]})";

TEST(Counters, ParsesEveryCounterSet) {
  auto counters = parseCounters(kListing);
  ASSERT_TRUE(counters) << counters.error().message;
  ASSERT_EQ(counters->size(), 2u);
  const Counters& a = counters->at("sp-aaaaaaaaaaaa");
  EXPECT_EQ(a.txPackets, 6u);
  EXPECT_EQ(a.txBytes, 336u);
  EXPECT_EQ(a.rxPackets, 4u);
  EXPECT_EQ(a.rxBytes, 9000000000u);
  EXPECT_EQ(a.acceptedConnections, 2u);
  EXPECT_EQ(a.rejectedConnections, 5u);
  EXPECT_EQ(counters->at("sp-bbbbbbbbbbbb").txBytes, 0u);
}

TEST(Counters, UnexpectedOutputIsAnError) {
  EXPECT_FALSE(parseCounters("not json"));
  EXPECT_FALSE(
      parseCounters(R"({"nftables": [{"set": {"name": "space_tx", "elem": [{"x": 1}]}}]})"));
  auto empty = parseCounters(R"({"nftables": []})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace spacelet::netpolicy
