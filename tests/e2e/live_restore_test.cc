// Live restore end to end: `kill -9` of spaceletd while a Space serves leaves it serving; the
// restarted agent re-adopts the same container (no restart, no duplicate, stage RUNNING) and
// still deploys the next push. `kill -9` during a build: the restarted agent marks the
// interrupted deployment, deploys the commit again, and the Space serves with one container
// and no build left behind (nor the network lease the build's RUN steps had).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "space_files.h"
#include "space_node.h"

namespace spacelet::e2e {
namespace {

using namespace std::chrono_literals;

TEST(E2eLiveRestore, KillNineWhileServingKeepsServingAndTheRestartedAgentReadoptsTheContainer) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string id = node.spaceId("survivor");
  ASSERT_EQ(node.spacectl({"create", id, "--sdk", "static"}).status, 0);
  auto pushed = node.push(id, staticSpace("still here"), "first version");
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  ASSERT_TRUE(node.waitServed(id, "still here", 180s)) << node.describe(id);
  auto containers = node.containers();
  ASSERT_EQ(containers.size(), 1u);
  auto deployments = node.deployments(id).size();

  node.kill9Agent();
  for (int i = 0; i < 10; ++i) {
    Page page = node.get(id);
    EXPECT_EQ(page.status, 200) << "request " << i << " with the agent down";
    EXPECT_NE(page.body.find("still here"), std::string::npos);
    std::this_thread::sleep_for(100ms);
  }

  ASSERT_EQ(node.restartAgent(), "");
  EXPECT_TRUE(eventually(
      [&] {
        return node.agent().log().find("re-adopted container '" + containers[0] + "'") !=
               std::string::npos;
      },
      10s))
      << node.agent().log();
  EXPECT_EQ(field(node.runtime(id), "stage"), "RUNNING");
  std::this_thread::sleep_for(2s);  // anything the agent would wrongly redo would start now
  EXPECT_EQ(node.containers(), containers);
  EXPECT_EQ(node.deployments(id).size(), deployments) << node.describe(id);
  EXPECT_EQ(number(node.runtime(id), "restarts"), 0);
  Page page = node.get(id);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("still here"), std::string::npos);

  // The re-adopted Space deploys the next push and retires the adopted container.
  auto next = node.push(id, staticSpace("after the restart"), "second version");
  ASSERT_EQ(next.status, 0) << next.output;
  ASSERT_TRUE(node.waitServed(id, "after the restart", 60s)) << node.describe(id);
  EXPECT_TRUE(eventually(
      [&] {
        auto now = node.containers();
        return now.size() == 1 && now[0] != containers[0];
      },
      20s))
      << node.describe(id);
}

// The network leases netpolicy keeps in the agent's state (one JSON file each) whose key
// is a build's ("<author>/<name>#<seq>#build").
int buildLeases(SpaceNode& node) {
  int found = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(node.agent().stateDir() + "/net", ec)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("#build\"") != std::string::npos) ++found;
  }
  return found;
}

TEST(E2eLiveRestore, KillNineDuringABuildRedoesTheDeploymentAfterTheRestart) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string id = node.spaceId("killbuild");
  // The RUN step has the build's network: an eth0 address and the node's resolver.
  auto pushed = node.createDockerSpaceAndPush(
      id,
      dockerSpace("built after all", serveScript(),
                  "RUN ip -o -4 addr show eth0 && cat /etc/resolv.conf && sleep 4\n"),
      "slow build");
  ASSERT_EQ(pushed.status, 0) << pushed.output;
  std::string buildLog = "spaces/" + id + "/deployments/1/build.log";
  ASSERT_TRUE(eventually(
      [&] { return node.stateFile(buildLog).find("nameserver ") != std::string::npos; }, 120s))
      << node.describe(id) << node.stateFile(buildLog);
  EXPECT_NE(node.stateFile(buildLog).find("spacelet: build network "), std::string::npos);
  EXPECT_NE(node.stateFile(buildLog).find("eth0"), std::string::npos) << node.stateFile(buildLog);
  EXPECT_NE(node.stateFile(buildLog).find(" inet "), std::string::npos);
  EXPECT_EQ(buildLeases(node), 1);
  node.kill9Agent();

  ASSERT_EQ(node.restartAgent(), "");
  ASSERT_TRUE(node.waitServed(id, "built after all", 120s)) << node.describe(id);
  auto list = node.deployments(id);
  ASSERT_EQ(list.size(), 2u) << list.dump(2);
  EXPECT_EQ(field(list[1], "outcome"), "failed");
  EXPECT_NE(field(list[1], "error").find("interrupted by an agent restart"), std::string::npos);
  EXPECT_EQ(field(list[0], "outcome"), "serving");
  EXPECT_EQ(field(list[0], "sha"), pushed.output);
  EXPECT_EQ(field(node.runtime(id), "stage"), "RUNNING");
  EXPECT_EQ(node.containers().size(), 1u);
  // Nothing of the interrupted build is left: no container in a build runtime root, no mount
  // (its step's overlay and layers), no scratch directory.
  std::string work = node.agent().stateDir() + "/build/work";
  std::error_code ec;
  for (const auto& build : std::filesystem::directory_iterator(work, ec)) {
    auto listed = spacelet::testing::runCommand({spacelet::testing::runtimePath(), "--root",
                                                 build.path().string() + "/runtime", "list", "-q"});
    EXPECT_EQ(listed.output, "") << build.path();
  }
  std::string author = id.substr(0, id.find('/'));
  EXPECT_TRUE(eventually(
      [&] { return !std::filesystem::exists(work + "/" + author + "--killbuild--1-0-build"); },
      10s));
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    EXPECT_EQ(line.find(" " + work + "/"), std::string::npos) << line;
  }
  // The interrupted build's lease was released at start, and the redone build released its
  // own when it ended.
  EXPECT_EQ(buildLeases(node), 0);
}

}  // namespace
}  // namespace spacelet::e2e
