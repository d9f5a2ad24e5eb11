// The network configuration: defaults, the YAML keys, and errors that name the key.
#include "spacelet/netpolicy/config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "test_env.h"

namespace spacelet::netpolicy {
namespace {

Result<Config> fromYaml(const std::string& text) {
  return configFromYaml(YAML::Load(text), "network");
}

void expectError(const std::string& yaml, const std::string& fragment) {
  auto config = fromYaml(yaml);
  ASSERT_FALSE(config) << yaml;
  EXPECT_NE(config.error().message.find(fragment), std::string::npos)
      << "message: " << config.error().message;
}

TEST(NetConfig, DefaultsAreValid) {
  Config c;
  EXPECT_TRUE(validate(c));
  EXPECT_EQ(c.ipv4Pool.toString(), "10.213.0.0/16");
  EXPECT_EQ(c.egressTcpPorts, (std::vector<uint16_t>{80, 443, 8080}));
  EXPECT_FALSE(c.ipv6Prefix);
  auto empty = fromYaml("{}");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->ipv4Pool, c.ipv4Pool);
}

TEST(NetConfig, ReadsEveryKey) {
  auto c = fromYaml(R"(
node_netns: /run/netns/node
netns_dir: /run/x/netns
state_dir: /var/lib/x/net
nft: /sbin/nft
ipv4_pool: 10.50.0.0/20
ipv6_prefix: fd5a:ce::/64
ipv6_masquerade: false
resolvers: [10.53.0.1, "fd00:53::1"]
egress_tcp_ports: [443]
extra_deny: [8.8.8.0/24, "2a00:1::/32"]
default_app_port: 8000
manage_forwarding: false
nft_timeout_ms: 2500
link_timeout_ms: 1500
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->nodeNetns, "/run/netns/node");
  EXPECT_EQ(c->netnsDir, "/run/x/netns");
  EXPECT_EQ(c->stateDir, "/var/lib/x/net");
  EXPECT_EQ(c->nftPath, "/sbin/nft");
  EXPECT_EQ(c->ipv4Pool.toString(), "10.50.0.0/20");
  ASSERT_TRUE(c->ipv6Prefix);
  EXPECT_EQ(c->ipv6Prefix->toString(), "fd5a:ce::/64");
  EXPECT_FALSE(c->ipv6Masquerade);
  ASSERT_EQ(c->resolvers.size(), 2u);
  EXPECT_EQ(c->resolvers[1].toString(), "fd00:53::1");
  EXPECT_EQ(c->egressTcpPorts, std::vector<uint16_t>{443});
  EXPECT_EQ(c->extraDeny.size(), 2u);
  EXPECT_EQ(c->defaultAppPort, 8000);
  EXPECT_FALSE(c->manageForwarding);
  EXPECT_EQ(c->nftTimeout.count(), 2500);
  EXPECT_EQ(c->linkTimeout.count(), 1500);
}

TEST(NetConfig, EmptyIpv6PrefixMeansIpv4Only) {
  auto c = fromYaml("ipv6_prefix: \"\"");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->ipv6Prefix);
}

TEST(NetConfig, ErrorsNameTheKey) {
  expectError("ipv4_pool: 10.0.0.1/16", "network.ipv4_pool: '10.0.0.1/16' has host bits set");
  expectError("ipv4_pool: 10.0.0.0/32", "network.ipv4_pool: '10.0.0.0/32' is too small");
  expectError("ipv4_pool: fd00::/64", "network.ipv4_pool: 'fd00::/64' is not an IPv4 prefix");
  expectError("ipv4_pool: banana", "network.ipv4_pool: 'banana' is not an IP address");
  expectError("ipv6_prefix: 10.0.0.0/8", "network.ipv6_prefix");
  expectError("resolvers: [10.0.0.300]", "network.resolvers[0]: '10.0.0.300'");
  expectError("resolvers: [10.213.0.9]", "network.resolvers: '10.213.0.9' lies inside");
  expectError("resolvers: [\"fd00::53\"]", "'fd00::53' is IPv6 but 'ipv6_prefix' is not set");
  expectError("egress_tcp_ports: [80, 70000]",
              "network.egress_tcp_ports[1]: '70000' is not a port");
  expectError("egress_tcp_ports: [80, 80]", "network.egress_tcp_ports: '80' is listed twice");
  expectError("egress_tcp_ports: 80", "network.egress_tcp_ports: expected a list");
  expectError("extra_deny: [1.2.3.4/8]", "network.extra_deny: '1.2.3.4/8' has host bits set");
  expectError("default_app_port: 0", "network.default_app_port: '0' is not a port");
  expectError("nft_timeout_ms: 5", "network.nft_timeout_ms: '5' is out of range");
  expectError("link_timeout_ms: 700000", "network.link_timeout_ms: '700000' is out of range");
  expectError("nft: nft", "network.nft: 'nft' must be an absolute path");
  expectError("node_netns: node", "network.node_netns: 'node' must be an absolute path");
  expectError("manage_forwarding: maybe",
              "network.manage_forwarding: 'maybe' is not true or false");
  expectError("pool: 10.0.0.0/8", "network.pool: unknown key (known keys:");
  expectError("[1, 2]", "network: expected a mapping");
}

TEST(NetConfig, BuiltinDenyListsCoverTheSpecialRanges) {
  auto covered = [](const std::vector<Prefix>& list, const char* address) {
    auto a = *IpAddress::parse(address);
    for (const auto& p : list) {
      if (p.contains(a)) return true;
    }
    return false;
  };
  auto d4 = builtinDeny4();
  for (const char* a :
       {"169.254.169.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "100.64.0.1",
        "224.0.0.1", "192.0.2.1", "198.51.100.1", "203.0.113.1", "255.255.255.255", "0.0.0.0"}) {
    EXPECT_TRUE(covered(d4, a)) << a;
  }
  EXPECT_FALSE(covered(d4, "8.8.8.8"));
  EXPECT_FALSE(covered(d4, "11.0.0.80"));
  auto d6 = builtinDeny6();
  for (const char* a : {"fd00:ec2::254", "fe80::1", "::1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
                        "2001::1", "2002:a00:1::", "2001:db8::1", "ff02::1", "::"}) {
    EXPECT_TRUE(covered(d6, a)) << a;
  }
  EXPECT_FALSE(covered(d6, "2a00:1450::1"));
}

TEST(NetConfig, LoadsTheAgentFileSectionAndPaths) {
  spacelet::testing::TempDir dir("netcfg");
  std::ofstream(dir / "config.yaml") << "paths:\n  state_dir: /srv/spacelet\n  run_dir: /run/sp\n"
                                        "network:\n  ipv4_pool: 10.60.0.0/16\n  resolvers: []\n";
  auto c = loadConfigFile(dir / "config.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->ipv4Pool.toString(), "10.60.0.0/16");
  EXPECT_EQ(c->stateDir, "/srv/spacelet/net");
  EXPECT_EQ(c->netnsDir, "/run/sp/netns");
  std::ofstream(dir / "own.yaml") << "ipv4_pool: 10.61.0.0/16\n";
  auto own = loadConfigFile(dir / "own.yaml");
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->ipv4Pool.toString(), "10.61.0.0/16");
  std::ofstream(dir / "bad.yaml") << "network:\n  ipv4_pool: [\n";
  auto bad = loadConfigFile(dir / "bad.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.yaml"), std::string::npos);
  EXPECT_FALSE(loadConfigFile(dir / "missing.yaml"));
}

}  // namespace
}  // namespace spacelet::netpolicy
