// The rendered `inet spacelet` table and per-Space element commands, pinned by golden files,
// plus the properties that matter whatever the bytes: rules never name a Space, a Space is
// only element commands, deleting is idempotent, and the deny lists stay disjoint.
#include "ruleset.h"

#include <gtest/gtest.h>

#include "golden.h"

namespace spacelet::netpolicy {
namespace {

using json = nlohmann::json;

Config dualStackConfig() {
  Config c;
  c.ipv6Prefix = *Prefix::parse("fd5a:ce::/64");
  c.resolvers = {*IpAddress::parse("10.53.0.1"), *IpAddress::parse("fd00:53::1")};
  c.extraDeny = {*Prefix::parse("8.8.8.0/24"), *Prefix::parse("2a00:dead::/32")};
  return c;
}

RulesetSpace space(const std::string& ifname, const char* v4, const char* v6) {
  RulesetSpace s{ifname, *IpAddress::parse(v4), std::nullopt, 7860, {}, {}};
  if (v6) s.space6 = *IpAddress::parse(v6);
  return s;
}

RulesetSpace spaceWithPolicy() {
  RulesetSpace s = space("sp-aaaaaaaaaaaa", "10.213.0.1", "fd5a:ce::1");
  s.overrides = {*Override::parse("allow tcp 10.1.2.0/24 5432"),
                 *Override::parse("deny udp fd00:1::/64 1000-2000")};
  s.published = {{8443, 7860}};
  return s;
}

TEST(Ruleset, Ipv4OnlyTableMatchesGolden) {
  Config c;
  c.resolvers = {*IpAddress::parse("10.53.0.1")};
  testing::expectGolden("ruleset_ipv4.json", renderTable(rulesetParams(c), {}).dump(2) + "\n");
}

TEST(Ruleset, DualStackTableWithSpacesMatchesGolden) {
  std::vector<RulesetSpace> spaces = {spaceWithPolicy(),
                                      space("sp-bbbbbbbbbbbb", "10.213.0.3", "fd5a:ce::3")};
  testing::expectGolden("ruleset_dual_stack.json",
                        renderTable(rulesetParams(dualStackConfig()), spaces).dump(2) + "\n");
}

TEST(Ruleset, SpaceElementsMatchGolden) {
  RulesetSpace s = spaceWithPolicy();
  testing::expectGolden("space_add.json", renderSpaceAdd(s).dump(2) + "\n");
  testing::expectGolden("space_delete.json", renderSpaceDelete(s).dump(2) + "\n");
  RulesetSpace moved = space("sp-cccccccccccc", "10.213.0.5", nullptr);
  moved.appPort = 8000;
  testing::expectGolden("space_add_port_change.json", renderSpaceAdd(moved, 7860).dump(2) + "\n");
  testing::expectGolden("override_remove.json",
                        renderOverride(false, s, s.overrides[0]).dump(2) + "\n");
  testing::expectGolden("published_add.json",
                        renderPublished(true, s, {9000, 7860}).dump(2) + "\n");
}

TEST(Ruleset, RulesNeverNameASpace) {
  std::vector<RulesetSpace> spaces = {spaceWithPolicy()};
  json doc = renderTable(rulesetParams(dualStackConfig()), spaces);
  int rules = 0;
  for (const auto& cmd : doc["nftables"]) {
    if (!cmd.contains("add") || !cmd["add"].contains("rule")) continue;
    ++rules;
    EXPECT_EQ(cmd.dump().find("sp-aaaa"), std::string::npos) << cmd.dump();
  }
  EXPECT_GT(rules, 30);
}

TEST(Ruleset, ASpaceIsOnlyElementCommands) {
  json add = renderSpaceAdd(spaceWithPolicy());
  for (const auto& cmd : add["nftables"]) {
    ASSERT_TRUE(cmd.contains("add")) << cmd.dump();
    EXPECT_TRUE(cmd["add"].contains("element")) << cmd.dump();
  }
  // Deleting adds every element first, so a half-registered Space deletes cleanly.
  json del = renderSpaceDelete(spaceWithPolicy());
  size_t n = del["nftables"].size();
  ASSERT_EQ(n % 2, 0u);
  for (size_t i = 0; i < n / 2; ++i) {
    EXPECT_EQ(del["nftables"][i]["add"], del["nftables"][i + n / 2]["delete"]);
  }
}

TEST(Ruleset, ReplacesTheTableInOneDocument) {
  json doc = renderTable(rulesetParams(Config{}), {});
  const auto& cmds = doc["nftables"];
  EXPECT_TRUE(cmds[0]["add"].contains("table"));
  EXPECT_TRUE(cmds[1]["delete"].contains("table"));
  EXPECT_TRUE(cmds[2]["add"].contains("table"));
  EXPECT_EQ(cmds[1]["delete"]["table"]["name"], "spacelet");
}

TEST(Ruleset, NormalizeDropsCoveredPrefixes) {
  std::vector<Prefix> in = {*Prefix::parse("10.213.0.0/16"), *Prefix::parse("192.168.0.0/16"),
                            *Prefix::parse("10.0.0.0/8"), *Prefix::parse("10.0.0.0/8"),
                            *Prefix::parse("1.2.3.4/32")};
  auto out = normalizePrefixes(in);
  std::vector<std::string> text;
  for (const auto& p : out) text.push_back(p.toString());
  EXPECT_EQ(text, (std::vector<std::string>{"1.2.3.4/32", "10.0.0.0/8", "192.168.0.0/16"}));
}

TEST(Ruleset, DenyListsIncludeThePoolsAndExtras) {
  Config c = dualStackConfig();
  c.ipv4Pool = *Prefix::parse("100.100.0.0/16");  // inside CGNAT: merged away
  auto p = rulesetParams(c);
  auto has = [](const std::vector<Prefix>& list, const char* text) {
    return std::find(list.begin(), list.end(), *Prefix::parse(text)) != list.end();
  };
  EXPECT_TRUE(has(p.deny4, "100.64.0.0/10"));
  EXPECT_FALSE(has(p.deny4, "100.100.0.0/16"));
  EXPECT_TRUE(has(p.deny4, "8.8.8.0/24"));
  EXPECT_TRUE(has(p.deny6, "2a00:dead::/32"));
  for (size_t i = 1; i < p.deny4.size(); ++i) EXPECT_FALSE(p.deny4[i - 1].overlaps(p.deny4[i]));
  for (size_t i = 1; i < p.deny6.size(); ++i) EXPECT_FALSE(p.deny6[i - 1].overlaps(p.deny6[i]));
}

}  // namespace
}  // namespace spacelet::netpolicy
