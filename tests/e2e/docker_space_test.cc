// A docker-SDK Space end to end: its Dockerfile is built FROM the node's local busybox image
// (no registry), the app is served through the proxy, a second push rebuilds and switches to
// the new content, the build log shows its steps, and one container serves at a time; with
// builds.network: none the RUN steps have loopback only.
#include <gtest/gtest.h>

#include "space_files.h"
#include "space_node.h"

namespace spacelet::e2e {
namespace {

using namespace std::chrono_literals;

TEST(E2eDockerSpace, PushBuildsFromTheLocalBaseImageServesAndASecondPushSwitches) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string id = node.spaceId("docker");
  auto first = node.createDockerSpaceAndPush(id, dockerSpace("docker version 1", serveScript()),
                                             "first version");
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_TRUE(node.waitServed(id, "docker version 1", 180s)) << node.describe(id);
  auto runtime = node.runtime(id);
  EXPECT_EQ(field(runtime, "stage"), "RUNNING");
  EXPECT_EQ(field(runtime, "sha"), first.output);
  auto list = node.deployments(id);
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(field(list[0], "sdk"), "docker");
  EXPECT_EQ(number(list[0], "app_port"), 8080);
  std::string buildLog = node.stateFile("spaces/" + id + "/deployments/1/build.log");
  EXPECT_NE(buildLog.find("Step 1/"), std::string::npos) << buildLog;

  auto second = node.push(id, dockerSpace("docker version 2", serveScript()), "second version");
  ASSERT_EQ(second.status, 0) << second.output;
  ASSERT_TRUE(node.waitServed(id, "docker version 2", 120s)) << node.describe(id);
  EXPECT_TRUE(eventually([&] { return field(node.runtime(id), "sha") == second.output; }, 10s));
  EXPECT_TRUE(eventually([&] { return node.containers().size() == 1; }, 10s)) << node.describe(id);
  list = node.deployments(id);
  ASSERT_EQ(list.size(), 2u) << list.dump(2);
  EXPECT_EQ(field(list[0], "outcome"), "serving");
  EXPECT_EQ(field(list[1], "outcome"), "replaced");
}

// builds.network: none: RUN steps have loopback only (no eth0, no lease), and the Space itself
// still gets its own network and serves.
TEST(E2eDockerSpace, BuildsWithoutNetworkWhenTheNodeSaysNone) {
  SpaceNode node;
  ASSERT_EQ(node.start("  network: none\n"), "");
  std::string id = node.spaceId("offline");
  auto pushed = node.createDockerSpaceAndPush(
      id,
      dockerSpace("built offline", serveScript(),
                  "RUN ip -o link show | sed 's/^/link: /' && ! ip -o link show eth0\n"),
      "offline build");
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  ASSERT_TRUE(node.waitServed(id, "built offline", 180s)) << node.describe(id);
  std::string buildLog = node.stateFile("spaces/" + id + "/deployments/1/build.log");
  EXPECT_NE(buildLog.find("spacelet: no build network (builds.network: none)"), std::string::npos)
      << buildLog;
  EXPECT_EQ(buildLog.find("spacelet: build network "), std::string::npos) << buildLog;
  EXPECT_NE(buildLog.find("link: 1: lo:"), std::string::npos) << buildLog;
  EXPECT_EQ(buildLog.find("link: 2:"), std::string::npos) << buildLog;  // nothing but lo
}

}  // namespace
}  // namespace spacelet::e2e
