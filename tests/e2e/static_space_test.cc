// A static Space end to end: `git push` serves it, a second push changes what is served, a
// push with a broken README keeps the old content served and records CONFIG_ERROR (with the
// line and the key), and restart, pause (stopped, also across an agent restart) and resume.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "space_files.h"
#include "space_node.h"

namespace spacelet::e2e {
namespace {

using namespace std::chrono_literals;

TEST(E2eStaticSpace, PushServesRedeploysKeepsServingThroughABrokenReadmeRestartPauseResume) {
  SpaceNode node;
  ASSERT_EQ(node.start(), "");
  std::string id = node.spaceId("static");
  ASSERT_EQ(node.spacectl({"create", id, "--sdk", "static"}).status, 0);

  auto first = node.push(id, staticSpace("version 1"), "first version");
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_TRUE(node.waitServed(id, "version 1", 180s)) << node.describe(id);
  auto runtime = node.runtime(id);
  EXPECT_EQ(field(runtime, "stage"), "RUNNING");
  EXPECT_EQ(field(runtime, "sha"), first.output);
  ASSERT_EQ(node.containers().size(), 1u);

  auto second = node.push(id, staticSpace("version 2"), "second version");
  ASSERT_EQ(second.status, 0) << second.output;
  ASSERT_TRUE(node.waitServed(id, "version 2", 60s)) << node.describe(id);
  EXPECT_TRUE(eventually([&] { return field(node.runtime(id), "sha") == second.output; }, 10s));
  // The first deployment's container was stopped: one container serves.
  EXPECT_TRUE(eventually([&] { return node.containers().size() == 1; }, 10s));

  // An unclosed flow sequence on line 3 of the front matter (line 4 of README.md).
  Files broken = staticSpace("version 3");
  broken["README.md"] = readme("title: e2e static\nsdk: static\ntags: [one, two\n");
  auto third = node.push(id, broken, "broken front matter");
  ASSERT_EQ(third.status, 0) << third.output;
  ASSERT_TRUE(eventually(
      [&] {
        auto list = node.deployments(id);
        return !list.empty() && field(list[0], "sha") == third.output &&
               field(list[0], "outcome") == "failed";
      },
      60s))
      << node.describe(id);
  auto failed = node.deployments(id)[0];
  EXPECT_EQ(field(failed, "failed_stage"), "CONFIG_ERROR");
  std::string error = field(failed, "error");
  EXPECT_NE(error.find("README.md line 5, in key 'tags' (from line 4)"), std::string::npos)
      << error;
  runtime = node.runtime(id);
  EXPECT_NE(field(runtime, "error_message").find("CONFIG_ERROR"), std::string::npos)
      << runtime.dump(2);
  Page page = node.get(id);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("version 2"), std::string::npos) << page.body;
  EXPECT_EQ(field(runtime, "sha"), second.output);

  // A wrong type names its key.
  Files wrongType = staticSpace("version 3");
  wrongType["README.md"] = readme("title: e2e static\nsdk: static\npinned: maybe\n");
  auto fourth = node.push(id, wrongType, "pinned is not a boolean");
  ASSERT_EQ(fourth.status, 0) << fourth.output;
  ASSERT_TRUE(eventually(
      [&] {
        auto list = node.deployments(id);
        return !list.empty() && field(list[0], "sha") == fourth.output &&
               field(list[0], "outcome") == "failed";
      },
      60s))
      << node.describe(id);
  error = field(node.deployments(id)[0], "error");
  EXPECT_NE(error.find("README.md line 4, key 'pinned'"), std::string::npos) << error;
  EXPECT_NE(node.get(id).body.find("version 2"), std::string::npos);

  // restart: a new container of the same build serves the same content.
  auto before = node.containers();
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(node.spacectl({"restart", id}).status, 0);
  ASSERT_TRUE(eventually(
      [&] {
        auto now = node.containers();
        return now.size() == 1 && now[0] != before[0] &&
               field(node.runtime(id), "stage") == "RUNNING";
      },
      60s))
      << node.describe(id);
  EXPECT_TRUE(node.waitServed(id, "version 2", 10s)) << node.describe(id);

  // pause: the app stops and stays stopped, also across an agent restart.
  ASSERT_EQ(node.spacectl({"pause", id}).status, 0);
  ASSERT_TRUE(node.waitStage(id, "PAUSED", 10s)) << node.describe(id);
  ASSERT_TRUE(eventually([&] { return node.containers().empty(); }, 20s)) << node.describe(id);
  EXPECT_NE(node.get(id).status, 200);
  ASSERT_EQ(node.stopAgent(), 0);
  ASSERT_EQ(node.restartAgent(), "");
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(field(node.runtime(id), "stage"), "PAUSED");
  EXPECT_TRUE(node.containers().empty());
  EXPECT_NE(node.get(id).status, 200);

  // resume: served again.
  ASSERT_EQ(node.spacectl({"resume", id}).status, 0);
  ASSERT_TRUE(node.waitServed(id, "version 2", 60s)) << node.describe(id);
  EXPECT_TRUE(node.waitStage(id, "RUNNING", 10s)) << node.describe(id);
  EXPECT_EQ(node.containers().size(), 1u);
}

// git ignores what a post-receive hook returns: a push whose notification fails (here the
// hook cannot run spacectl, as while a build replaces it) is stored, and the agent is not
// told. Its own check of the repositories (git.fetch_interval) deploys it, with no restart.
TEST(E2eStaticSpace, APushItsHookCouldNotReportIsDeployedWithoutAnAgentRestart) {
  SpaceNode node;
  // start()'s text follows the config's builds: section: a top-level section can follow too.
  ASSERT_EQ(node.start("git:\n  fetch_interval: 10s\n"), "");
  std::string id = node.spaceId("unreported");
  ASSERT_EQ(node.spacectl({"create", id, "--sdk", "static"}).status, 0);
  auto first = node.push(id, staticSpace("version 1"), "first version");
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_TRUE(node.waitServed(id, "version 1", 180s)) << node.describe(id);

  auto repo = node.spacectl({"repo", id});
  ASSERT_EQ(repo.status, 0) << repo.output;
  std::string hook = repo.output.substr(0, repo.output.find('\n')) + "/hooks/post-receive";
  std::ofstream(hook, std::ios::trunc) << "#!/bin/sh\nexec /nonexistent/spacectl --hook\n";
  auto second = node.push(id, staticSpace("version 2"), "second version");
  ASSERT_EQ(second.status, 0) << second.output;

  ASSERT_TRUE(node.waitServed(id, "version 2", 60s)) << node.describe(id);
  auto latest = node.deployments(id)[0];
  EXPECT_EQ(field(latest, "sha"), second.output);
  // Not "push of <sha>": the hook told nothing; the agent found the commit itself.
  EXPECT_EQ(field(latest, "reason"), "a push its hook did not report");
  EXPECT_TRUE(node.waitStage(id, "RUNNING", 10s)) << node.describe(id);
}

}  // namespace
}  // namespace spacelet::e2e
