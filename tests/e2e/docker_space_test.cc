// A docker-SDK Space end to end: its Dockerfile is built FROM the node's local busybox image
// (no registry), the app is served through the proxy, a second push rebuilds and switches to
// the new content, the build log shows its steps, and one container serves at a time.
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
  ASSERT_EQ(node.spacectl({"create", id, "--sdk", "docker"}).status, 0);

  auto first = node.push(id, dockerSpace("docker version 1", serveScript()), "first version");
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

}  // namespace
}  // namespace spacelet::e2e
