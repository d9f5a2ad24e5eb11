// A Space's network over its life, in a miniature node: removal leaves no link, namespace,
// element or conntrack entry; addresses survive a restart; reconcile cleans what a crashed
// agent left; startup and configuration problems are clear errors; concurrent attaches work.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "mini_node.h"
#include "spacelet/netpolicy/net_policy.h"
#include "test_env.h"

namespace spacelet::netpolicy::testing {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = spacelet::testing::requireRoot(); !why.empty()) GTEST_SKIP() << why;
    node_ = std::make_unique<MiniNode>(true);
  }

  std::unique_ptr<NetPolicy> open(Config config) {
    auto policy = NetPolicy::open(std::move(config));
    EXPECT_TRUE(policy) << policy.error().message;
    return policy ? std::move(*policy) : nullptr;
  }
  std::unique_ptr<NetPolicy> openAndReconcile() {
    auto policy = open(node_->config());
    if (policy) {
      EXPECT_TRUE(policy->reconcile({}));
    }
    return policy;
  }

  bool linkExists(const std::string& name) {
    return spacelet::testing::runCommand({"ip", "-n", node_->node().name(), "link", "show", name})
               .status == 0;
  }
  // The whole table as nft prints it, to look for any trace of an interface.
  std::string table() {
    return output(
        {"ip", "netns", "exec", node_->node().name(), "nft", "list", "table", "inet", "spacelet"});
  }

  // Detached pairs renamed "sp--<ifindex>" while they wait for their deletion.
  bool retiredLinksRemain() {
    return output({"ip", "-n", node_->node().name(), "-o", "link", "show"}).find(": sp--") !=
           std::string::npos;
  }

  std::unique_ptr<MiniNode> node_;
};

TEST_F(Lifecycle, DetachLeavesNothingAndReleaseFreesTheAddresses) {
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  auto net = policy->attach({"carol/gone", 7860});
  ASSERT_TRUE(net) << net.error().message;
  std::string addr = net->spaceIpv4.toString();
  ASSERT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 80, Proto::kTcp).outcome,
            Outcome::kConnected);
  ASSERT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet6), 443, Proto::kTcp).outcome,
            Outcome::kConnected);
  ASSERT_GT(conntrackCount(node_->node(), {"-s", addr}), 0);
  ASSERT_NE(table().find(net->ifname), std::string::npos);

  ASSERT_TRUE(policy->detach("carol/gone"));
  // At once: no namespace file, element or conntrack entry, and the interface's name is free
  // (the pair, renamed, is deleted in the background).
  EXPECT_FALSE(std::filesystem::exists(net->netnsPath));
  EXPECT_FALSE(linkExists(net->ifname));
  EXPECT_EQ(table().find(net->ifname), std::string::npos) << table();
  EXPECT_EQ(conntrackCount(node_->node(), {"-s", addr}), 0);
  EXPECT_EQ(conntrackCount(node_->node(), {"-s", net->spaceIpv6->toString()}), 0);
  EXPECT_EQ(conntrackCount(node_->node(), {"-d", addr}), 0);
  auto settled = policy->settle();
  ASSERT_TRUE(settled) << settled.error().message;
  EXPECT_FALSE(linkExists(net->ifname));
  EXPECT_FALSE(retiredLinksRemain());

  // The lease stays: attaching again gives the same addresses.
  auto shown = policy->show();
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->size(), 1u);
  EXPECT_FALSE((*shown)[0].attached);
  auto again = policy->attach({"carol/gone", 7860});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->spaceIpv4, net->spaceIpv4);
  EXPECT_EQ(again->spaceIpv6, net->spaceIpv6);

  ASSERT_TRUE(policy->release("carol/gone"));
  ASSERT_TRUE(policy->settle());
  EXPECT_FALSE(linkExists(net->ifname));
  EXPECT_TRUE(policy->show()->empty());
  auto unknown = policy->detach("carol/gone");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("'carol/gone' has no network"), std::string::npos);
}

// The background deletion of the old pair must never hit the new one of the same name; the
// old pairs, renamed at detach, are all gone once settled.
TEST_F(Lifecycle, AttachRightAfterDetachKeepsTheNewLinks) {
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(policy->attach({"kim/quick", 7860}));
    ASSERT_TRUE(policy->detach("kim/quick"));
  }
  auto net = policy->attach({"kim/quick", 7860});
  ASSERT_TRUE(net) << net.error().message;
  auto settled = policy->settle();
  ASSERT_TRUE(settled) << settled.error().message;
  EXPECT_TRUE(linkExists(net->ifname));
  EXPECT_FALSE(retiredLinksRemain());
  EXPECT_NE(table().find(net->ifname), std::string::npos);
  EXPECT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 80, Proto::kTcp).outcome,
            Outcome::kConnected);
}

// Destroying the object (an agent stopping) finishes the deletions it queued.
TEST_F(Lifecycle, ClosingFinishesPendingLinkDeletions) {
  std::string ifname;
  {
    auto policy = openAndReconcile();
    ASSERT_TRUE(policy);
    auto net = policy->attach({"lou/closing", 7860});
    ASSERT_TRUE(net);
    ifname = net->ifname;
    ASSERT_TRUE(policy->detach("lou/closing"));
  }
  EXPECT_FALSE(linkExists(ifname));
}

TEST_F(Lifecycle, AddressesSurviveARestart) {
  SpaceNetwork first;
  {
    auto policy = openAndReconcile();
    ASSERT_TRUE(policy);
    ASSERT_TRUE(policy->attach({"dora/one", 7860}));
    auto net = policy->attach({"erin/two", 7860});
    ASSERT_TRUE(net);
    first = *net;
  }
  auto policy = open(node_->config());
  ASSERT_TRUE(policy);
  auto net = policy->attach({"erin/two", 7860});
  ASSERT_TRUE(net) << net.error().message;
  EXPECT_EQ(net->spaceIpv4, first.spaceIpv4);
  EXPECT_EQ(net->hostIpv4, first.hostIpv4);
  EXPECT_EQ(net->netnsPath, first.netnsPath);
  auto other = policy->attach({"fay/three", 7860});
  ASSERT_TRUE(other);
  EXPECT_NE(other->spaceIpv4, first.spaceIpv4);
  EXPECT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 8080, Proto::kTcp).outcome,
            Outcome::kConnected);
}

TEST_F(Lifecycle, ReconcileCleansWhatACrashedAgentLeft) {
  SpaceNetwork keep, stale;
  {
    auto policy = openAndReconcile();
    ASSERT_TRUE(policy);
    auto k = policy->attach({"gil/keep", 7860});
    auto s = policy->attach({"hal/stale", 7860});
    ASSERT_TRUE(k && s);
    keep = *k;
    stale = *s;
    ASSERT_EQ(probe(stale.netnsPath, ip(MiniNode::kInternet4), 80, Proto::kTcp).outcome,
              Outcome::kConnected);
  }  // the agent "crashes": nothing is detached
  const NamedNetns& node = node_->node();
  std::string ghost = "sp-ghost" + node_->suffix(), leftover = "sp-left" + node_->suffix();
  mustRun({"ip", "netns", "exec", node.name(), "nft", "add", "element", "inet", "spacelet",
           "space_ifaces", "{ \"" + ghost + "\" }"});
  node.ip({"link", "add", leftover, "type", "veth", "peer", "name", "x" + node_->suffix()});
  ASSERT_GT(conntrackCount(node, {"-s", stale.spaceIpv4.toString()}), 0);

  auto policy = open(node_->config());
  ASSERT_TRUE(policy);
  auto reconciled = policy->reconcile({{"gil/keep", 7860}});
  ASSERT_TRUE(reconciled) << reconciled.error().message;

  std::string now = table();
  EXPECT_EQ(now.find(ghost), std::string::npos);
  EXPECT_EQ(now.find(stale.ifname), std::string::npos);
  EXPECT_NE(now.find(keep.ifname), std::string::npos);
  EXPECT_FALSE(linkExists(stale.ifname));
  EXPECT_FALSE(linkExists(leftover));
  EXPECT_FALSE(std::filesystem::exists(stale.netnsPath));
  EXPECT_EQ(conntrackCount(node, {"-s", stale.spaceIpv4.toString()}), 0);
  // The kept Space works as before, with the same addresses.
  EXPECT_EQ(probe(keep.netnsPath, ip(MiniNode::kInternet4), 443, Proto::kTcp).outcome,
            Outcome::kConnected);
  EXPECT_EQ(probe(keep.netnsPath, ip(MiniNode::kInternet4), 22, Proto::kTcp).outcome,
            Outcome::kRefused);
  auto again = policy->attach({"gil/keep", 7860});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->spaceIpv4, keep.spaceIpv4);
}

TEST_F(Lifecycle, ReconcileRecreatesMissingLinks) {
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  auto net = policy->attach({"ivy/rebuilt", 7860});
  ASSERT_TRUE(net);
  node_->node().ip({"link", "del", net->ifname});  // e.g. removed by hand
  ASSERT_TRUE(policy->reconcile({{"ivy/rebuilt", 7860}}));
  EXPECT_TRUE(linkExists(net->ifname));
  EXPECT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 80, Proto::kTcp).outcome,
            Outcome::kConnected);
}

TEST_F(Lifecycle, AppPortChangesMoveTheNodesAccess) {
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  auto net = policy->attach({"jo/port", 7860});
  ASSERT_TRUE(net);
  Listeners app(net->netnsPath, {{Proto::kTcp, "", 7860}, {Proto::kTcp, "", 8000}});
  std::string nodeNs = node_->node().path();
  EXPECT_EQ(probe(nodeNs, net->spaceIpv4, 7860, Proto::kTcp).outcome, Outcome::kConnected);
  ASSERT_TRUE(policy->attach({"jo/port", 8000}));
  EXPECT_EQ(probe(nodeNs, net->spaceIpv4, 8000, Proto::kTcp).outcome, Outcome::kConnected);
  EXPECT_EQ(probe(nodeNs, net->spaceIpv4, 7860, Proto::kTcp).outcome, Outcome::kRefused);
}

TEST_F(Lifecycle, ConcurrentAttachesGetDistinctAddresses) {
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  std::vector<std::thread> threads;
  std::vector<Result<SpaceNetwork>> results(8, fail(Error{}));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] = policy->attach({"team/s" + std::to_string(i), 0});
    });
  }
  for (auto& t : threads) t.join();
  std::set<IpAddress> addresses;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    addresses.insert(r->spaceIpv4);
    EXPECT_EQ(r->appPort, 7860);
  }
  EXPECT_EQ(addresses.size(), 8u);
}

TEST_F(Lifecycle, Ipv4OnlyNodeKeepsIpv6OffTheNodeEnd) {
  node_.reset();
  node_ = std::make_unique<MiniNode>(false);
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  auto net = policy->attach({"lu/four", 0});
  ASSERT_TRUE(net) << net.error().message;
  EXPECT_FALSE(net->spaceIpv6.has_value());
  EXPECT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 443, Proto::kTcp).outcome,
            Outcome::kConnected);
  EXPECT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 22, Proto::kTcp).outcome,
            Outcome::kRefused);
  // No IPv6 address (not even link-local) and so no IPv6 route for the Space on the node.
  EXPECT_EQ(output({"ip", "-n", node_->node().name(), "-6", "addr", "show", "dev", net->ifname}),
            "");
  EXPECT_EQ(output({"ip", "-n", node_->node().name(), "-6", "route", "show", "table", "all", "dev",
                    net->ifname}),
            "");
}

// Without IPv6, eth0 is configured (address, default route) while its peer is still down and
// only eth0 is waited for: the node's end comes up last and is never polled. Each Space still
// connects out the moment attach() returns, the reply crossing the node's end, ten times.
TEST_F(Lifecycle, Ipv4SpaceCarriesTrafficAsSoonAsAttached) {
  node_.reset();
  node_ = std::make_unique<MiniNode>(false);
  auto policy = openAndReconcile();
  ASSERT_TRUE(policy);
  for (int i = 0; i < 10; ++i) {
    std::string id = "mo/fresh-" + std::to_string(i);
    auto net = policy->attach({id, 0});
    ASSERT_TRUE(net) << net.error().message;
    EXPECT_EQ(probe(net->netnsPath, ip(MiniNode::kInternet4), 80, Proto::kTcp).outcome,
              Outcome::kConnected)
        << "attach " << i;
    ASSERT_TRUE(policy->release(id));
  }
}

TEST_F(Lifecycle, ExhaustedPoolIsAClearError) {
  Config c = node_->config();
  c.ipv4Pool = *Prefix::parse("10.213.0.0/30");
  auto policy = open(c);
  ASSERT_TRUE(policy);
  ASSERT_TRUE(policy->reconcile({}));
  ASSERT_TRUE(policy->attach({"a/1", 0}));
  ASSERT_TRUE(policy->attach({"a/2", 0}));
  auto third = policy->attach({"a/3", 0});
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ENOSPC);
  EXPECT_NE(third.error().message.find("'10.213.0.0/30' is exhausted"), std::string::npos);
}

TEST_F(Lifecycle, StartupProblemsSayWhatToDo) {
  Config noNft = node_->config();
  noNft.nftPath = "/nonexistent/nft";
  auto missing = NetPolicy::open(noNft);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("install the 'nftables' package"), std::string::npos)
      << missing.error().message;

  Config noNode = node_->config();
  noNode.nodeNetns = "/run/netns/spacelet-no-such-node";
  auto absent = NetPolicy::open(noNode);
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().message.find("is not a namespace file"), std::string::npos);

  Config bad = node_->config();
  bad.egressTcpPorts = {80, 0};
  auto invalid = NetPolicy::open(bad);
  ASSERT_FALSE(invalid);
  EXPECT_NE(invalid.error().message.find("network.egress_tcp_ports"), std::string::npos);

  node_->node().ip({"addr", "add", "10.213.0.77/32", "dev", "lo"});
  auto collision = NetPolicy::open(node_->config());
  ASSERT_FALSE(collision);
  EXPECT_NE(collision.error().message.find("collides with address '10.213.0.77'"),
            std::string::npos)
      << collision.error().message;
}

TEST_F(Lifecycle, AttachWithoutTheTableExplainsWhatToDo) {
  auto policy = open(node_->config());
  ASSERT_TRUE(policy);
  auto net = policy->attach({"kim/early", 0});
  ASSERT_FALSE(net);
  EXPECT_NE(net.error().message.find("reconcile first"), std::string::npos) << net.error().message;
}

}  // namespace
}  // namespace spacelet::netpolicy::testing
