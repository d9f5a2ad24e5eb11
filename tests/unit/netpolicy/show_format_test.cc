// `spacelet-net show`'s output formats.
#include "cli/show_format.h"

#include <gtest/gtest.h>

#include "golden.h"

namespace spacelet::netpolicy::cli {
namespace {

std::vector<SpaceStatus> sample() {
  SpaceStatus a;
  a.network = {"alice/demo",
               "sp-aaaaaaaaaaaa",
               "/run/spacelet/netns/sp-aaaaaaaaaaaa",
               *IpAddress::parse("10.213.0.0"),
               *IpAddress::parse("10.213.0.1"),
               *IpAddress::parse("fd5a:ce::"),
               *IpAddress::parse("fd5a:ce::1"),
               7860,
               ""};
  a.attached = true;
  a.counters = {12, 3, 40, 5000, 38, 1572864};
  a.overrides = {*Override::parse("allow tcp 10.1.2.3/32 5432")};
  a.published = {{8443, 7860}};
  SpaceStatus b;
  b.network = {"bob/x",
               "sp-bbbbbbbbbbbb",
               "/run/spacelet/netns/sp-bbbbbbbbbbbb",
               *IpAddress::parse("10.213.0.2"),
               *IpAddress::parse("10.213.0.3"),
               std::nullopt,
               std::nullopt,
               8080,
               ""};
  return {a, b};
}

TEST(ShowFormat, TextMatchesGolden) {
  spacelet::netpolicy::testing::expectGolden("show.txt", formatShowText(sample()));
  EXPECT_EQ(formatShowText({}), "no Spaces have a network\n");
}

TEST(ShowFormat, JsonMatchesGolden) {
  spacelet::netpolicy::testing::expectGolden("show.json", formatShowJson(sample()).dump(2) + "\n");
}

TEST(ShowFormat, HumanBytes) {
  EXPECT_EQ(humanBytes(0), "0 B");
  EXPECT_EQ(humanBytes(1023), "1023 B");
  EXPECT_EQ(humanBytes(1536), "1.5 KiB");
  EXPECT_EQ(humanBytes(uint64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace spacelet::netpolicy::cli
