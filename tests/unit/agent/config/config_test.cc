// Tests of the agent's configuration: value units, the defaults, every kind of bad input
// (each error names the file, line and key), the rendered default file (and that the shipped
// packaging/config.yaml is exactly that), and what a SIGHUP reload may change.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/config/load.h"
#include "agent/config/settings.h"
#include "agent/config/units.h"

namespace spacelet::agent::config {
namespace {

TEST(Units, Bytes) {
  EXPECT_EQ(parseBytes("16Gi"), 16 * kGiB);
  EXPECT_EQ(parseBytes("512Mi"), 512 * kMiB);
  EXPECT_EQ(parseBytes("1G"), 1000000000u);
  EXPECT_EQ(parseBytes("4096"), 4096u);
  EXPECT_EQ(parseBytes("0"), 0u);
  EXPECT_FALSE(parseBytes(""));
  EXPECT_FALSE(parseBytes("Gi"));
  EXPECT_FALSE(parseBytes("-1"));
  EXPECT_FALSE(parseBytes("1.5Gi"));
  EXPECT_FALSE(parseBytes("16 Gi"));
  EXPECT_FALSE(parseBytes("99999999999999999999"));
  EXPECT_FALSE(parseBytes("17179869184Gi"));  // overflows 64 bits
  EXPECT_EQ(formatBytes(16 * kGiB), "16Gi");
  EXPECT_EQ(formatBytes(1536 * kMiB), "1536Mi");
  EXPECT_EQ(formatBytes(1000), "1000");
  EXPECT_EQ(formatBytes(0), "0");
}

TEST(Units, Seconds) {
  EXPECT_EQ(parseSeconds("30s"), 30u);
  EXPECT_EQ(parseSeconds("5m"), 300u);
  EXPECT_EQ(parseSeconds("2h"), 7200u);
  EXPECT_EQ(parseSeconds("7d"), 604800u);
  EXPECT_EQ(parseSeconds("90"), 90u);
  EXPECT_FALSE(parseSeconds("5 m"));
  EXPECT_FALSE(parseSeconds("m"));
  EXPECT_FALSE(parseSeconds("1w"));
  EXPECT_EQ(formatSeconds(172800), "2d");
  EXPECT_EQ(formatSeconds(5400), "90m");
  EXPECT_EQ(formatSeconds(45), "45s");
  EXPECT_EQ(formatSeconds(0), "0s");
}

TEST(Units, ModesIntegersAndNetworks) {
  EXPECT_EQ(parseMode("0660"), 0660u);
  EXPECT_FALSE(parseMode("660"));
  EXPECT_FALSE(parseMode("0999"));
  EXPECT_FALSE(parseMode("017777"));
  EXPECT_EQ(formatMode(0660), "0660");
  EXPECT_EQ(parseInteger("-1"), -1);
  EXPECT_FALSE(parseInteger("1x"));
  EXPECT_TRUE(isCidr("10.213.0.0/16", AF_INET));
  EXPECT_FALSE(isCidr("10.213.0.1/16", AF_INET));  // host bits set
  EXPECT_FALSE(isCidr("10.213.0.0/33", AF_INET));
  EXPECT_FALSE(isCidr("10.213.0.0", AF_INET));
  EXPECT_TRUE(isCidr("fd00:5::/64", AF_INET6));
  EXPECT_FALSE(isCidr("fd00:5::/64", AF_INET));
  EXPECT_TRUE(isIpAddress("1.1.1.1"));
  EXPECT_TRUE(isIpAddress("2606:4700::1111"));
  EXPECT_FALSE(isIpAddress("1.1.1"));
}

TEST(Config, EmptyFileGivesEveryDefault) {
  auto c = parseConfig("", "test.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->paths.stateDir, "/var/lib/spacelet");
  EXPECT_EQ(c->paths.socket, "/run/spacelet/spacelet.sock");
  EXPECT_EQ(c->paths.socketMode, 0660u);
  EXPECT_EQ(c->paths.socketGroup, "spacelet");
  EXPECT_EQ(c->cgroups.driver, "auto");
  const Flavor& basic = c->flavors.at("cpu-basic");
  EXPECT_EQ(basic.cpus, 2);
  EXPECT_EQ(basic.memoryBytes, 16 * kGiB);
  EXPECT_EQ(basic.pidsMax, 4096u);
  EXPECT_EQ(c->flavors.at("cpu-upgrade").cpus, 8);
  EXPECT_EQ(c->flavors.at("cpu-upgrade").memoryBytes, 32 * kGiB);
  const Flavor& t4 = c->flavors.at("t4-small");
  EXPECT_EQ(t4.cpus, 4);
  EXPECT_EQ(t4.memoryBytes, 15 * kGiB);
  EXPECT_EQ(t4.gpus, 1u);
  EXPECT_EQ(t4.gpuKind, "nvidia.com/gpu");
  EXPECT_EQ(t4.gpuModel, "T4");
}

TEST(Config, ReadsValuesOfEveryShape) {
  auto c = parseConfig(R"(
paths:
  state_dir: /srv/spacelet
  socket_mode: "0600"
api:
  max_body_bytes: 64Ki
  stream_heartbeat: 2m
spaces:
  default_sleep_time: -1
network:
  ipv6_prefix: fd00:5::/64
  resolvers: [1.1.1.1, "2606:4700::1111"]
builds:
  cpus: 1.5
  base_images:
    gradio: local/python:3.11
cgroup_driver: systemd
flavors:
  tiny:
    cpus: 0.5
    memory: 512Mi
spaces_note_is_not_here: 1
)",
                       "t.yaml");
  ASSERT_FALSE(c);  // the last key is unknown; everything before it was read fine
  EXPECT_NE(c.error().message.find("line 22: 'spaces_note_is_not_here': unknown key"),
            std::string::npos)
      << c.error().message;

  auto ok = parseConfig(R"(
paths:
  state_dir: /srv/spacelet
  socket_mode: "0600"
api:
  max_body_bytes: 64Ki
  stream_heartbeat: 2m
spaces:
  default_hardware: tiny
  default_sleep_time: -1
network:
  ipv6_prefix: fd00:5::/64
  resolvers: [1.1.1.1, "2606:4700::1111"]
builds:
  cpus: 1.5
  base_images:
    gradio: local/python:3.11
cgroup_driver: systemd
flavors:
  tiny:
    cpus: 0.5
    memory: 512Mi
)",
                        "t.yaml");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->paths.stateDir, "/srv/spacelet");
  EXPECT_EQ(ok->paths.socketMode, 0600u);
  EXPECT_EQ(ok->api.maxBodyBytes, 64 * kKiB);
  EXPECT_EQ(ok->api.streamHeartbeatSeconds, 120u);
  EXPECT_EQ(ok->spaces.defaultSleepSeconds, -1);
  EXPECT_EQ(ok->network.resolvers.size(), 2u);
  EXPECT_EQ(ok->builds.cpus, 1.5);
  EXPECT_EQ(ok->builds.baseImageGradio, "local/python:3.11");
  EXPECT_EQ(ok->cgroups.driver, "systemd");
  ASSERT_EQ(ok->flavors.size(), 1u);  // the operator's list replaces the built-in one
  EXPECT_EQ(ok->flavors.at("tiny").memoryBytes, 512 * kMiB);
  EXPECT_EQ(ok->flavors.at("tiny").pidsMax, 4096u);  // unset keys keep their defaults
}

// Parses `yaml` and expects an error containing every fragment.
void expectError(const std::string& yaml, const std::vector<std::string>& fragments) {
  auto c = parseConfig(yaml, "/etc/spacelet/config.yaml");
  ASSERT_FALSE(c) << "accepted:\n" << yaml;
  for (const auto& f : fragments) {
    EXPECT_NE(c.error().message.find(f), std::string::npos)
        << "missing '" << f << "' in: " << c.error().message;
  }
}

TEST(Config, UnknownKeysNameTheLineAndSuggest) {
  expectError("limits:\n  max_spacess: 3\n",
              {"config '/etc/spacelet/config.yaml' line 2: 'limits.max_spacess': unknown key",
               "did you mean 'limits.max_spaces'?"});
  expectError("colour: blue\n", {"line 1: 'colour': unknown key"});
  expectError("flavors:\n  big:\n    cpus: 4\n    memroy: 8Gi\n",
              {"line 4: 'flavors.big.memroy': unknown key", "did you mean 'memory'?"});
}

TEST(Config, WrongTypesAndImpossibleValues) {
  expectError("limits:\n  max_spaces: many\n",
              {"line 2: 'limits.max_spaces': expected a whole number, got 'many'"});
  expectError("limits:\n  max_spaces: 0\n", {"'limits.max_spaces': '0' is out of range"});
  expectError("limits:\n  max_spaces: [1, 2]\n", {"expected a whole number, got a list"});
  expectError("limits:\n  max_spaces:\n", {"'limits.max_spaces': has no value"});
  expectError("paths:\n  state_dir: var/lib\n",
              {"'paths.state_dir': 'var/lib' is not an absolute, normalized path"});
  expectError("paths:\n  state_dir: /var/../etc\n", {"'paths.state_dir'", "normalized"});
  expectError("paths: /tmp\n", {"'paths': is a section"});
  expectError("paths:\n  socket_mode: 660\n", {"expected an octal mode like '0660', got '660'"});
  expectError("api:\n  max_body_bytes: 1.5Mi\n", {"expected a size like '512Mi'"});
  expectError("api:\n  stream_heartbeat: 5 minutes\n", {"expected a duration like '30s'"});
  expectError("network:\n  ipv4_pool: 10.0.0.1/8\n", {"'network.ipv4_pool'", "zero host bits"});
  expectError("network:\n  resolvers: [1.1.1]\n", {"'1.1.1' is not an IPv4 or IPv6 address"});
  expectError("cgroup_driver: cgroupfs\n", {"'cgroupfs' is not one of 'auto', 'fs', 'systemd'"});
  expectError("spaces:\n  default_sleep_time: 10s\n", {"use -1 (never sleep)"});
  expectError("builds:\n  pip_index_url: ftp://x\n", {"is not an http(s) URL"});
  expectError("flavors:\n  Big:\n    cpus: 2\n", {"'flavors.Big': flavor names use lowercase"});
  expectError("flavors:\n  g:\n    gpus: 1\n    gpu_kind: gpu\n", {"is not a CDI device kind"});
  expectError("flavors:\n  g:\n    cpus: 0\n", {"'flavors.g.cpus': '0' is out of range"});
}

TEST(Config, CrossChecksNameTheKeyToFix) {
  expectError("spaces:\n  default_hardware: h200\n",
              {"line 2: 'spaces.default_hardware': 'h200' is not a flavor"});
  expectError("flavors:\n  small:\n    cpus: 1\n",
              {"'spaces.default_hardware': 'cpu-basic' is not a flavor"});
  expectError("builds:\n  disk_low_watermark: 95\n", {"line 2: 'builds.disk_low_watermark'"});
  expectError("flavors:\n  cpu-basic:\n    gpus: 1\n", {"'flavors.cpu-basic.gpu_kind'"});
  expectError("paths:\n  socket: /" + std::string(120, 'a') + "\n",
              {"'paths.socket'", "use a shorter path"});
}

TEST(Config, SyntaxErrorsAndDuplicates) {
  expectError("paths:\n  state_dir: [unterminated\n", {"invalid YAML", "line "});
  expectError("- a\n- b\n", {"expected a map of settings"});
  expectError("limits:\n  max_spaces: 3\n  max_spaces: 4\n",
              {"line 3: 'limits.max_spaces': appears twice (first on line 2)"});
}

TEST(Config, ReportsEveryProblemAtOnce) {
  auto c = parseConfig("limits:\n  max_spaces: x\napi:\n  max_streams: y\nbogus: 1\n", "f");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("line 2"), std::string::npos);
  EXPECT_NE(c.error().message.find("line 4"), std::string::npos);
  EXPECT_NE(c.error().message.find("line 5"), std::string::npos);
}

TEST(Config, MissingFile) {
  auto optional = loadConfigFile("/nonexistent/spacelet/config.yaml", true);
  ASSERT_TRUE(optional) << optional.error().message;
  auto required = loadConfigFile("/nonexistent/spacelet/config.yaml", false);
  ASSERT_FALSE(required);
  EXPECT_EQ(required.error().code, ENOENT);
  EXPECT_NE(required.error().message.find("'/nonexistent/spacelet/config.yaml'"),
            std::string::npos);
}

TEST(Config, RenderedDefaultsListEverySettingAndReadBack) {
  std::string text = renderConfig(Config{});
  for (const auto& s : settings()) {
    std::string leaf = s.key.substr(s.key.rfind('.') + 1);
    EXPECT_NE(text.find(leaf + ": " + s.render(Config{}) + "\n"), std::string::npos) << s.key;
    EXPECT_NE(text.find(s.doc), std::string::npos) << s.key;
  }
  for (const auto& [name, flavor] : defaultFlavors())
    EXPECT_NE(text.find("  " + name + ":\n"), std::string::npos);
  auto back = parseConfig(text, "rendered");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(renderConfig(*back), text);
  // A changed config round-trips too.
  Config changed;
  changed.paths.stateDir = "/srv/x y";
  changed.network.resolvers = {"9.9.9.9"};
  changed.spaces.defaultSleepSeconds = -1;
  auto again = parseConfig(renderConfig(changed), "changed");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->paths.stateDir, "/srv/x y");
  EXPECT_EQ(again->network.resolvers, std::vector<std::string>{"9.9.9.9"});
  EXPECT_EQ(again->spaces.defaultSleepSeconds, -1);
}

TEST(Config, SectionsAreContiguousInTheTable) {
  // The renderer opens each section once; a key placed away from its section would reopen it.
  std::vector<std::string> seen;
  std::string last;
  for (const auto& s : settings()) {
    std::string section = s.key.substr(0, s.key.find('.'));
    if (section != last) {
      EXPECT_EQ(std::find(seen.begin(), seen.end(), section), seen.end()) << s.key;
      seen.push_back(section);
      last = section;
    }
  }
}

TEST(Config, ShippedDefaultFileIsTheRenderedDefaults) {
  std::ifstream in(std::string(SPACELET_SOURCE_DIR) + "/packaging/config.yaml");
  ASSERT_TRUE(in) << "packaging/config.yaml is missing; regenerate it with "
                     "`spaceletd --print-default-config > packaging/config.yaml`";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), renderConfig(Config{}))
      << "packaging/config.yaml is out of date; regenerate it with "
         "`spaceletd --print-default-config > packaging/config.yaml`";
}

TEST(Config, OperationsGuideListsEverySettingWithItsDefault) {
  std::ifstream in(std::string(SPACELET_SOURCE_DIR) + "/docs/operations.md");
  ASSERT_TRUE(in) << "docs/operations.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  Config defaults;
  for (const auto& s : settings()) {
    std::string row = "| `" + s.key + "` | `" + s.render(defaults) + "` | " +
                      (s.reload == Reload::kLive ? "SIGHUP" : "restart") + " | " + s.doc + " |";
    EXPECT_NE(text.str().find(row), std::string::npos)
        << "docs/operations.md lacks or differs: " << row;
  }
  Flavor flavor;
  for (const auto& s : flavorSettings()) {
    std::string row = "| `" + s.key + "` | `" + s.render(flavor) + "` | " + s.doc + " |";
    EXPECT_NE(text.str().find(row), std::string::npos) << row;
  }
}

TEST(Config, ReloadAppliesLiveSettingsAndReportsTheRest) {
  Config running;
  auto loaded = parseConfig(
      "paths:\n  socket: /run/other.sock\nlimits:\n  max_spaces: 5\nflavors:\n  cpu-basic:\n"
      "    cpus: 1\n",
      "f");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ReloadPlan plan = planReload(running, *loaded);
  EXPECT_EQ(plan.next.limits.maxSpaces, 5u);
  EXPECT_EQ(plan.next.paths.socket, running.paths.socket);  // kept
  EXPECT_EQ(plan.next.flavors.size(), 1u);
  EXPECT_EQ(plan.applied, (std::vector<std::string>{"limits.max_spaces", "flavors"}));
  EXPECT_EQ(plan.needRestart, (std::vector<std::string>{"paths.socket"}));

  ReloadPlan same = planReload(running, running);
  EXPECT_TRUE(same.applied.empty());
  EXPECT_TRUE(same.needRestart.empty());
}

}  // namespace
}  // namespace spacelet::agent::config
