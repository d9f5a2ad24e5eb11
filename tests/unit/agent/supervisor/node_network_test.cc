// Tests of the network policy's configuration made from the agent's: each `network:` setting
// reaches netpolicy::Config (IPv6 was once accepted by the agent and silently dropped), the
// resolvers come from resolv.conf when none are configured, and bad values name the agent key.
#include "agent/supervisor/node_network.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

namespace spacelet::agent::supervisor {
namespace {

config::Config base() {
  config::Config c;
  c.paths.runDir = "/run/sl";
  c.paths.stateDir = "/var/lib/sl";
  c.network.resolvers = {"192.0.2.53"};
  return c;
}

TEST(NodeNetworkTest, EverySettingReachesThePolicy) {
  config::Config c = base();
  c.network.ipv4Pool = "10.99.0.0/24";
  c.network.ipv6Prefix = "fd42:1::/64";
  c.network.nodeNetns = "/run/netns/node";
  c.network.nftTimeoutSeconds = 3;
  auto net = netpolicyConfig(c, "", "/opt/helper");
  ASSERT_TRUE(net) << net.error().message;
  EXPECT_EQ(net->ipv4Pool.toString(), "10.99.0.0/24");
  ASSERT_TRUE(net->ipv6Prefix.has_value());
  EXPECT_EQ(net->ipv6Prefix->toString(), "fd42:1::/64");
  EXPECT_EQ(net->nodeNetns, "/run/netns/node");
  EXPECT_EQ(net->nftTimeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(net->nftHelperPath, "/opt/helper");
  EXPECT_EQ(net->netnsDir, "/run/sl/netns");
  EXPECT_EQ(net->stateDir, "/var/lib/sl/net");
  ASSERT_EQ(net->resolvers.size(), 1u);
  EXPECT_EQ(net->resolvers[0].toString(), "192.0.2.53");
}

TEST(NodeNetworkTest, DefaultsLeaveIpv6OffAndTheHelperAtItsInstalledPath) {
  auto net = netpolicyConfig(base(), "", "");
  ASSERT_TRUE(net) << net.error().message;
  EXPECT_FALSE(net->ipv6Prefix.has_value());
  EXPECT_EQ(net->nftHelperPath, netpolicy::defaultNftHelperPath());
  EXPECT_EQ(net->nftTimeout, std::chrono::milliseconds(10000));
}

TEST(NodeNetworkTest, ResolversComeFromResolvConfWhenNoneAreConfigured) {
  config::Config c = base();
  c.network.resolvers.clear();
  auto net = netpolicyConfig(c,
                             "# generated\nsearch example.org\nnameserver 192.0.2.1\n"
                             "nameserver 2001:db8::1\nnameserver 198.51.100.7\n",
                             "");
  ASSERT_TRUE(net) << net.error().message;
  ASSERT_EQ(net->resolvers.size(), 2u);  // the IPv6 one is left out: Spaces are IPv4 here
  EXPECT_EQ(net->resolvers[0].toString(), "192.0.2.1");
  EXPECT_EQ(net->resolvers[1].toString(), "198.51.100.7");
}

TEST(NodeNetworkTest, LoopbackNameserversAreLeftOutForTheyAreTheSpacesOwnLoopback) {
  config::Config c = base();
  c.network.resolvers.clear();
  auto net = netpolicyConfig(c, "nameserver 127.0.0.53\nnameserver 192.0.2.9\n", "");
  ASSERT_TRUE(net) << net.error().message;
  ASSERT_EQ(net->resolvers.size(), 1u);
  EXPECT_EQ(net->resolvers[0].toString(), "192.0.2.9");
}

// Files as a node with systemd-resolved has them: the stub in /etc/resolv.conf, the upstream
// servers in /run/systemd/resolve/resolv.conf.
std::function<std::string(const std::string&)> files(std::map<std::string, std::string> f) {
  return [f = std::move(f)](const std::string& path) {
    auto it = f.find(path);
    return it == f.end() ? std::string() : it->second;
  };
}

TEST(NodeNetworkTest, AStubResolverGivesWayToTheUpstreamServersSystemdResolvedLists) {
  std::string stub = "nameserver 127.0.0.53\noptions edns0 trust-ad\n";
  std::string upstream = "nameserver 192.0.2.1\nnameserver 198.51.100.7\n";
  EXPECT_EQ(spaceResolvConf(files(
                {{"/etc/resolv.conf", stub}, {"/run/systemd/resolve/resolv.conf", upstream}})),
            upstream);
  // A usable /etc/resolv.conf is kept, whatever systemd-resolved has.
  std::string direct = "nameserver 203.0.113.5\n";
  EXPECT_EQ(spaceResolvConf(files(
                {{"/etc/resolv.conf", direct}, {"/run/systemd/resolve/resolv.conf", upstream}})),
            direct);
  // Without systemd-resolved's list the stub's file is what there is: no resolver results.
  EXPECT_EQ(spaceResolvConf(files({{"/etc/resolv.conf", stub}})), stub);
  config::Config c = base();
  c.network.resolvers.clear();
  auto net = netpolicyConfig(c, spaceResolvConf(files({{"/etc/resolv.conf", stub}})), "");
  ASSERT_TRUE(net) << net.error().message;
  EXPECT_TRUE(net->resolvers.empty());
}

TEST(NodeNetworkTest, BadValuesNameTheAgentKey) {
  config::Config inPool = base();
  inPool.network.resolvers = {"10.213.0.9"};
  auto a = netpolicyConfig(inPool, "", "");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("network.resolvers"), std::string::npos) << a.error().message;

  config::Config v6Resolver = base();
  v6Resolver.network.resolvers = {"2001:db8::53"};
  auto b = netpolicyConfig(v6Resolver, "", "");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("ipv6_prefix"), std::string::npos) << b.error().message;

  config::Config badPrefix = base();
  badPrefix.network.ipv6Prefix = "fd42:1::1/64";
  auto c = netpolicyConfig(badPrefix, "", "");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("network.ipv6_prefix"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace spacelet::agent::supervisor
