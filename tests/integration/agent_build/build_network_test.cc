// RUN steps and the network: with a build network from netpolicy (attached as the agent does
// for each build) a step reaches TCP 80/443/8080 of the miniature node's "internet" and is
// refused fast everywhere else, sees the node's resolver in /etc/resolv.conf (never part of a
// layer), and once the lease is released nothing of it remains. Without one (the builder
// used on its own) a step has no network at all: build_test.cc, RunHasNoNetwork.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "build_fixture.h"
#include "mini_node.h"
#include "spacelet/netpolicy/net_policy.h"

namespace spacelet::agent::build::testing {
namespace {

namespace fs = std::filesystem;
using netpolicy::testing::MiniNode;

// A rejected connection fails within this time (the issue's "fast"), measured inside the
// step from /proc/uptime, whose resolution is 10 ms; nc's own start is included.
constexpr double kFastSeconds = 0.15;

class RunStepNetwork : public BuildFixture {
 protected:
  void SetUp() override {
    BuildFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    node_ = std::make_unique<MiniNode>(false);
    auto policy = netpolicy::NetPolicy::open(node_->config());
    ASSERT_TRUE(policy) << policy.error().message;
    policy_ = std::move(*policy);
    ASSERT_TRUE(policy_->reconcile({}));
  }
  void TearDown() override {
    policy_.reset();
    node_.reset();
    BuildFixture::TearDown();
  }

  std::string nodeOutput(const std::vector<std::string>& command) {
    std::vector<std::string> argv = {"ip", "netns", "exec", node_->node().name()};
    argv.insert(argv.end(), command.begin(), command.end());
    return netpolicy::testing::output(argv);
  }

  std::unique_ptr<MiniNode> node_;
  std::unique_ptr<netpolicy::NetPolicy> policy_;
};

TEST_F(RunStepNetwork, RunStepsGetTheSpacesEgressRuleAndNothingRemains) {
  auto net = policy_->attach({"alice/app#1#build", 0});
  ASSERT_TRUE(net) << net.error().message;
  auto& internet = node_->internetListeners();
  using netpolicy::testing::Proto;
  int before80 = internet.hits(Proto::kTcp, 80), before22 = internet.hits(Proto::kTcp, 22),
      before5432 = internet.hits(Proto::kTcp, 5432);
  BuildOptions options;
  options.network = {net->netnsPath, net->resolvConf};
  std::string internetIp = MiniNode::kInternet4;
  auto built = runBuild(
      "FROM busybox-test\n"
      "RUN cat /etc/resolv.conf && for p in 80 443 8080; do nc " +
          internetIp +
          " $p </dev/null || exit 1; done\n"
          "RUN for t in '" +
          internetIp + " 22' '" + internetIp + " 5432' '" + MiniNode::kMetadata4 + " 80' '" +
          MiniNode::kPrivate4 + " 80' '" + MiniNode::kNodeUplink4 +
          " 80'; do set -- $t; s=$(cut -d' ' -f1 /proc/uptime); timeout 3 nc $1 $2 </dev/null; "
          "r=$?; e=$(cut -d' ' -f1 /proc/uptime); echo \"probe $1:$2 exit $r took $s $e\"; done\n",
      options);
  ASSERT_TRUE(built) << built.error().message << "\n" << log_;
  for (int port : {80, 443, 8080}) {
    EXPECT_NE(log_.find("hi " + std::to_string(port)), std::string::npos) << port << "\n" << log_;
  }
  EXPECT_NE(log_.find("nameserver " + std::string(MiniNode::kResolver4)), std::string::npos)
      << log_;
  EXPECT_GT(internet.hits(Proto::kTcp, 80), before80);
  EXPECT_EQ(internet.hits(Proto::kTcp, 22), before22);
  EXPECT_EQ(internet.hits(Proto::kTcp, 5432), before5432);
  std::regex line(R"(probe (\S+) exit (\d+) took ([0-9.]+) ([0-9.]+))");
  int probes = 0;
  for (std::sregex_iterator it(log_.begin(), log_.end(), line), end; it != end; ++it, ++probes) {
    const std::smatch& m = *it;
    EXPECT_EQ(m[2], "1") << m[1] << ": nc did not fail on its own (124/143: timed out)";
    EXPECT_LT(std::stod(m[4]) - std::stod(m[3]), kFastSeconds) << m[1] << " was not refused fast";
  }
  EXPECT_EQ(probes, 5) << log_;
  // The node's resolv.conf is bound for the step only: no layer holds it.
  std::string image = unpackImage(built->image);
  EXPECT_FALSE(fs::exists(image + "/etc/resolv.conf"));

  ASSERT_TRUE(policy_->release("alice/app#1#build"));
  ASSERT_TRUE(policy_->settle());
  EXPECT_FALSE(fs::exists(net->netnsPath));
  EXPECT_EQ(nodeOutput({"ip", "-o", "link"}).find(net->ifname), std::string::npos);
  EXPECT_EQ(nodeOutput({"nft", "list", "table", "inet", "spacelet"}).find(net->ifname),
            std::string::npos);
  auto leases = policy_->show();
  ASSERT_TRUE(leases);
  EXPECT_TRUE(leases->empty());
}

}  // namespace
}  // namespace spacelet::agent::build::testing
