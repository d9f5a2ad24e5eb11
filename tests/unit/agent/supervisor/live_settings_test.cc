// Tests of the settings each deployment reads from the configuration in force: a reloaded
// value replaces the one the agent started with, and what is not a setting (paths, services)
// is kept.
#include "agent/supervisor/live_settings.h"

#include <gtest/gtest.h>

namespace spacelet::agent::supervisor {
namespace {

TEST(LiveSettingsTest, ReloadedBuildAndLogSettingsReachTheNextDeployment) {
  NodeServices started;
  started.stateDir = "/var/lib/spacelet";
  started.domain = "spaces.example";
  started.runner.monitorPath = "/usr/libexec/spacelet/spacelet-monitor";
  started = withLiveSettings(started, config::Config{});
  EXPECT_EQ(started.buildCpus, 0);  // the Space's flavor
  EXPECT_TRUE(started.wheelhouse.empty());
  EXPECT_TRUE(started.buildNetwork);  // builds.network: egress

  config::Config reloaded;
  reloaded.builds.baseImageGradio = "acme/python:3.12";
  reloaded.builds.pipIndexUrl = "https://pypi.internal/simple";
  reloaded.builds.wheelhouse = "/srv/wheels";
  reloaded.builds.aptSources = "/etc/spacelet/sources.list";
  reloaded.builds.aptRepository = "/srv/apt";
  reloaded.builds.timeoutSeconds = 600;
  reloaded.builds.cpus = 1.5;
  reloaded.builds.memoryBytes = 2ull << 30;
  reloaded.builds.network = "none";
  reloaded.logs.maxFileBytes = 1 << 20;
  reloaded.logs.maxFiles = 2;
  reloaded.logs.maxLineBytes = 4096;
  NodeServices now = withLiveSettings(started, reloaded);
  EXPECT_EQ(now.recipes.gradioBase, "acme/python:3.12");
  EXPECT_EQ(now.recipes.pipIndexUrl, "https://pypi.internal/simple");
  EXPECT_TRUE(now.recipes.useWheelhouse);
  EXPECT_TRUE(now.recipes.useAptRepository);
  EXPECT_EQ(now.wheelhouse, "/srv/wheels");
  EXPECT_EQ(now.aptSourcesFile, "/etc/spacelet/sources.list");
  EXPECT_EQ(now.aptRepository, "/srv/apt");
  EXPECT_EQ(now.buildTimeout, std::chrono::seconds(600));
  EXPECT_EQ(now.buildCpus, 1.5);
  EXPECT_EQ(now.buildMemoryBytes, 2ull << 30);
  EXPECT_FALSE(now.buildNetwork);
  EXPECT_EQ(now.runner.logLimits.maxBytes, 1u << 20);
  EXPECT_EQ(now.runner.logLimits.keep, 2);
  EXPECT_EQ(now.runner.logLimits.maxLineBytes, 4096u);
  EXPECT_EQ(now.stateDir, "/var/lib/spacelet");
  EXPECT_EQ(now.domain, "spaces.example");
  EXPECT_EQ(now.runner.monitorPath, "/usr/libexec/spacelet/spacelet-monitor");
}

}  // namespace
}  // namespace spacelet::agent::supervisor
