// Golden test of a Space's config.json, and the environment rules. The seccomp profile is
// checked to be sandbox's defaultProfile() and replaced by a marker in the golden file, so
// that the profile's own changes do not churn this file. Regenerate after an intended
// change with SPACELET_UPDATE_GOLDEN=1 and review the diff.
#include "agent/bundle/bundle_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "sandbox/seccomp/default_profile.h"
#include "test_env.h"

namespace spacelet::agent::bundle {
namespace {

image::ImageConfig sampleImage() {
  image::ImageConfig image;
  image.config.env = {"PATH=/opt/venv/bin:/usr/bin:/bin", "PYTHONUNBUFFERED=1", "HOME=/root"};
  image.config.entrypoint = {};
  image.config.cmd = {"python", "app.py"};
  image.config.workingDir = "/app";
  image.config.user = "1000";
  return image;
}

SpaceInfo sampleSpace() {
  SpaceInfo space;
  space.id = "alice/demo";
  space.title = "Demo Space";
  space.host = "alice-demo.spaces.local";
  space.appPort = 7860;
  space.sdk = "gradio";
  space.variables = {{"MODEL", "tiny"}, {"PYTHONUNBUFFERED", "0"}};
  space.secrets = {{"HF_TOKEN", "hf_secret"}};
  return space;
}

BundleSettings sampleSettings() {
  BundleSettings s;
  s.ids = {200000, 65536};
  s.tmpBytes = int64_t{1} << 30;
  s.rootfs = "/var/lib/spacelet/bundles/alice-demo-1/rootfs";
  s.appSource = s.rootfs + "/app";
  s.homeSource = s.rootfs + "/home/user";
  s.cgroupsPath = "/spacelet.slice/space-alice-demo";
  s.netnsPath = "/run/netns/sp-alice-demo";
  s.resolvConfSource = "/var/lib/spacelet/bundles/alice-demo-1/resolv.conf";
  s.hostname = "alice-demo";
  return s;
}

TEST(BundleConfig, MatchesGolden) {
  auto config = bundleConfig(sampleImage(), sampleSpace(), FlavorInfo{}, sampleSettings());
  EXPECT_EQ(config["linux"]["seccomp"], sandbox::seccomp::defaultProfile());
  config["linux"]["seccomp"] = "<sandbox::seccomp::defaultProfile()>";
  std::string actual = config.dump(2) + "\n";
  std::string path =
      spacelet::testing::sourceDir() + "/tests/unit/agent/bundle/golden/gradio_cpu_basic.json";
  if (std::getenv("SPACELET_UPDATE_GOLDEN")) std::ofstream(path) << actual;
  std::ifstream in(path);
  EXPECT_EQ(actual, std::string(std::istreambuf_iterator<char>(in), {}));
}

TEST(BundleConfig, SecurityDefaults) {
  auto c = bundleConfig(sampleImage(), sampleSpace(), FlavorInfo{}, sampleSettings());
  EXPECT_EQ(c["process"]["user"]["uid"], 1000);
  EXPECT_TRUE(c["process"]["noNewPrivileges"].get<bool>());
  EXPECT_TRUE(c["process"]["capabilities"]["bounding"].empty());
  EXPECT_TRUE(c["root"]["readonly"].get<bool>());
  EXPECT_EQ(c["linux"]["uidMappings"][0]["hostID"], 200000);
  EXPECT_EQ(c["linux"]["resources"]["memory"]["limit"], int64_t{16} << 30);
  EXPECT_EQ(c["linux"]["resources"]["cpu"]["quota"], 200000);
}

TEST(BundleConfig, EnvironmentOrderAndOverrides) {
  FlavorInfo t4{"t4-small", 4, int64_t{15} << 30, 4096, "t4"};
  auto env = spaceEnvironment(sampleImage(), sampleSpace(), t4);
  auto has = [&](const std::string& kv) {
    return std::find(env.begin(), env.end(), kv) != env.end();
  };
  EXPECT_TRUE(has("HOME=/home/user"));  // the image's HOME=/root is replaced
  EXPECT_TRUE(has("SPACE_ID=alice/demo"));
  EXPECT_TRUE(has("SPACE_AUTHOR_NAME=alice"));
  EXPECT_TRUE(has("SPACE_REPO_NAME=demo"));
  EXPECT_TRUE(has("SPACE_TITLE=Demo Space"));
  EXPECT_TRUE(has("SPACE_HOST=alice-demo.spaces.local"));
  EXPECT_TRUE(has("SYSTEM=spaces"));
  EXPECT_TRUE(has("CPU_CORES=4"));
  EXPECT_TRUE(has("MEMORY=15Gi"));
  EXPECT_TRUE(has("ACCELERATOR=t4"));
  EXPECT_TRUE(has("GRADIO_SERVER_NAME=0.0.0.0"));
  EXPECT_TRUE(has("GRADIO_SERVER_PORT=7860"));
  EXPECT_TRUE(has("MODEL=tiny"));
  EXPECT_TRUE(has("PYTHONUNBUFFERED=0"));  // a variable overrides the image
  EXPECT_TRUE(has("HF_TOKEN=hf_secret"));
  EXPECT_EQ(memoryText(512 << 20), "512Mi");
}

}  // namespace
}  // namespace spacelet::agent::bundle
