// yamlToJson(): quoted scalars stay strings, plain ones get YAML 1.2 core types, and syntax
// errors name the line.
#include "agent/gpu/yaml_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace spacelet::agent::gpu {
namespace {

TEST(YamlJson, ConvertsTypesAsYaml12CoreDoes) {
  auto j = yamlToJson(R"(
cdiVersion: 0.6.0
quoted: "0"
single: '42'
plain: 0
octal: 0o644
hex: 0x1F
negative: -3
float: 1.5
yes: true
no: False
nothing: ~
empty:
list: [a, "1", 2]
map: {k: v}
)");
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ((*j)["cdiVersion"], "0.6.0");
  EXPECT_EQ((*j)["quoted"], "0");
  EXPECT_EQ((*j)["single"], "42");
  EXPECT_EQ((*j)["plain"], 0);
  EXPECT_EQ((*j)["octal"], 0644);
  EXPECT_EQ((*j)["hex"], 31);
  EXPECT_EQ((*j)["negative"], -3);
  EXPECT_DOUBLE_EQ((*j)["float"].get<double>(), 1.5);
  EXPECT_EQ((*j)["yes"], true);
  EXPECT_EQ((*j)["no"], false);
  EXPECT_TRUE((*j)["nothing"].is_null());
  EXPECT_TRUE((*j)["empty"].is_null());
  EXPECT_EQ((*j)["list"], nlohmann::json::parse(R"(["a", "1", 2])"));
  EXPECT_EQ((*j)["map"]["k"], "v");
}

TEST(YamlJson, SyntaxErrorsNameTheLine) {
  auto j = yamlToJson("a: 1\nb: [unclosed\n");
  ASSERT_FALSE(j);
  EXPECT_THAT(j.error().message, ::testing::HasSubstr("YAML line "));
}

}  // namespace
}  // namespace spacelet::agent::gpu
