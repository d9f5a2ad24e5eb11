// applyGrant(): the image's GPU variables are dropped, the device cgroup stays deny-by-default,
// spacelet sets NVIDIA_VISIBLE_DEVICES and ACCELERATOR, and a failure leaves the config as it was.
#include "agent/gpu/grant.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gpu_test_util.h"

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

json imageConfig() {
  // An image that tries to grant itself every GPU, and a config without a device cgroup.
  return json::parse(R"({"process": {"user": {"uid": 1000, "gid": 1000},
    "env": ["PATH=/usr/bin:/bin", "NVIDIA_VISIBLE_DEVICES=all", "ACCELERATOR=h100"]},
    "linux": {}})");
}

StatNode fakeStat() {
  return [](const std::string& path) -> Result<HostNode> {
    if (path == "/dev/nvidia0") return HostNode{"c", 195, 0, 0666};
    if (path == "/dev/nvidia1") return HostNode{"c", 195, 1, 0666};
    if (path == "/dev/nvidiactl") return HostNode{"c", 195, 255, 0666};
    return failErrno(ENOENT, "stat '" + path + "'");
  };
}

cdi::Registry registry() {
  auto spec = cdi::parseSpec(json::parse(R"({"cdiVersion": "0.6.0", "kind": "nvidia.com/gpu",
    "devices": [{"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}},
                {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1"}]}},
                {"name": "9", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia9"}]}}],
    "containerEdits": {"env": ["NVIDIA_VISIBLE_DEVICES=void"],
                       "deviceNodes": [{"path": "/dev/nvidiactl"}]}})"));
  EXPECT_TRUE(spec) << spec.error().message;
  std::vector<cdi::LoadedSpec> specs;
  specs.push_back({"nvidia.json", 0, std::move(*spec)});
  return cdi::makeRegistry(std::move(specs));
}

std::vector<std::string> env(const json& config) {
  return config["process"]["env"].get<std::vector<std::string>>();
}

TEST(Grant, OneGpuMatchesGolden) {
  json config = imageConfig();
  Gpu gpu{"nvidia.com/gpu=1", "nvidia.com/gpu", "Tesla T4", "GPU-1111", {"/dev/nvidia1"}};
  auto applied = applyGrant(config, registry(), {gpu}, {"t4", fakeStat()});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_THAT(env(config), Contains("NVIDIA_VISIBLE_DEVICES=GPU-1111"));
  EXPECT_THAT(env(config), Contains("ACCELERATOR=t4"));
  EXPECT_THAT(env(config), Not(Contains("NVIDIA_VISIBLE_DEVICES=all")));
  EXPECT_THAT(env(config), Not(Contains("NVIDIA_VISIBLE_DEVICES=void")));
  testing::expectGolden(config, "grant_one_gpu.json");
}

TEST(Grant, NoGrantMeansNoGpuWhateverTheImageSays) {
  json config = imageConfig();
  ASSERT_TRUE(applyGrant(config, registry(), {}, {"t4", fakeStat()}));
  EXPECT_EQ(env(config),
            (std::vector<std::string>{"PATH=/usr/bin:/bin", "NVIDIA_VISIBLE_DEVICES=void"}));
  EXPECT_EQ(config["linux"]["resources"]["devices"],
            json::parse(R"([{"allow": false, "access": "rwm"}])"));
  EXPECT_FALSE(config["linux"].contains("devices"));
}

TEST(Grant, VisibleDevicesFallBackToDeviceNames) {
  json config = imageConfig();
  Gpu gpu0{"nvidia.com/gpu=0", "nvidia.com/gpu", "", "", {"/dev/nvidia0"}};
  Gpu gpu1{"nvidia.com/gpu=1", "nvidia.com/gpu", "", "", {"/dev/nvidia1"}};
  ASSERT_TRUE(applyGrant(config, registry(), {gpu0, gpu1}, {"", fakeStat()}));
  EXPECT_THAT(env(config), Contains("NVIDIA_VISIBLE_DEVICES=0,1"));
  for (const auto& e : env(config)) EXPECT_FALSE(e.starts_with("ACCELERATOR=")) << e;
  // Exactly the granted GPUs (and the shared control node) are allowed.
  std::vector<int> minors;
  for (const auto& rule : config["linux"]["resources"]["devices"]) {
    if (rule.value("allow", false)) minors.push_back(rule["minor"].get<int>());
  }
  EXPECT_EQ(minors, (std::vector<int>{255, 0, 1}));
}

TEST(Grant, FailureLeavesTheConfigUnchanged) {
  json config = imageConfig();
  json before = config;
  Gpu broken{"nvidia.com/gpu=9", "nvidia.com/gpu", "", "", {"/dev/nvidia9"}};
  auto applied = applyGrant(config, registry(), {broken}, {"t4", fakeStat()});
  ASSERT_FALSE(applied);
  EXPECT_THAT(applied.error().message,
              HasSubstr("apply the CDI edits: device node '/dev/nvidia9'"));
  EXPECT_EQ(config, before);
}

}  // namespace
}  // namespace spacelet::agent::gpu
