// The CDI generator on a fake /dev of real character devices (root: mknod), then the whole
// library path the agent takes: discover → generate → write → load the spec dir → inventory →
// allocate → apply the grant to a config.json with the host's real device numbers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "agent/gpu/allocator.h"
#include "agent/gpu/cdi_generate.h"
#include "agent/gpu/grant.h"
#include "fake_nvidia_node.h"
#include "gpu_test_util.h"

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;

class GpuDiscovery : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = node_.build(); !why.empty()) GTEST_SKIP() << why;
  }
  testing::FakeNvidiaNode node_;
};

TEST_F(GpuDiscovery, FindsEveryNodeWithItsNumbers) {
  auto found = discover(node_.options());
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->gpus.size(), 2u);
  EXPECT_EQ(found->gpus[0].path, "/dev/nvidia0");
  EXPECT_EQ(found->gpus[0].hostPath, node_.path("dev/nvidia0"));
  EXPECT_EQ(found->gpus[0].major, node_.gpuMajor);
  EXPECT_EQ(found->gpus[1].minor, 1);
  std::vector<std::string> control;
  for (const auto& n : found->controlNodes) control.push_back(n.path);
  EXPECT_EQ(control,
            (std::vector<std::string>{"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                                      "/dev/nvidia-caps/nvidia-cap1"}));
  EXPECT_TRUE(found->warnings.empty()) << found->warnings.front();
  EXPECT_EQ(found->libraries.size(), 3u);
  EXPECT_EQ(found->hostGpus.at("/dev/nvidia1").uuid, "GPU-fake-0001");
}

TEST_F(GpuDiscovery, AStaleUvmNodeIsReported) {
  testing::writeFile(node_.path("proc/devices"),
                     "Character devices:\n" + std::to_string(node_.uvmMajor + 1) + " nvidia-uvm\n");
  auto found = discover(node_.options());
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_THAT(found->warnings,
              Contains(HasSubstr("/dev/nvidia-uvm' has major " + std::to_string(node_.uvmMajor))));
}

TEST_F(GpuDiscovery, GeneratedSpecGrantsOneGpuWithHostNumbers) {
  auto found = discover(node_.options());
  ASSERT_TRUE(found) << found.error().message;
  auto spec = generateSpec(*found, {});
  ASSERT_TRUE(spec) << spec.error().message;
  auto written = writeSpec(*spec, node_.path("run/cdi"));
  ASSERT_TRUE(written) << written.error().message;
  auto registry = cdi::loadRegistry({{node_.path("etc/cdi"), node_.path("run/cdi")}});
  ASSERT_TRUE(registry.problems().empty()) << registry.problems().front().message;
  auto gpus = buildInventory(registry, found->hostGpus);
  ASSERT_EQ(gpus.size(), 2u);
  auto decision =
      allocate(gpus, {{"bob/draw", gpus[0].name}}, {"alice/chat", 1, "nvidia.com/gpu", "T4"});
  ASSERT_TRUE(decision && decision->granted)
      << (decision ? decision->reason : decision.error().message);
  ASSERT_EQ(decision->gpus, std::vector<std::string>{"nvidia.com/gpu=1"});

  json config = json::parse(R"({"process": {"user": {"uid": 1000, "gid": 1000},
      "env": ["NVIDIA_VISIBLE_DEVICES=all"]}, "linux": {}})");
  ASSERT_TRUE(applyGrant(config, registry, {gpus[1]}, {"t4", hostStat()}));
  std::map<std::string, json> devices;
  for (const auto& d : config["linux"]["devices"]) devices[d["path"]] = d;
  EXPECT_EQ(devices.count("/dev/nvidia0"), 0u) << "the other GPU stays out";
  ASSERT_EQ(devices.count("/dev/nvidia1"), 1u);
  EXPECT_EQ(devices["/dev/nvidia1"]["major"], node_.gpuMajor);
  EXPECT_EQ(devices["/dev/nvidia1"]["minor"], 1);
  EXPECT_EQ(devices["/dev/nvidia-uvm-tools"]["major"], node_.uvmMajor);
  EXPECT_EQ(devices["/dev/nvidia-caps/nvidia-cap1"]["minor"], 7);
  std::set<std::pair<int64_t, int64_t>> allowed;
  for (const auto& rule : config["linux"]["resources"]["devices"]) {
    if (rule["allow"]) allowed.insert({rule["major"].get<int64_t>(), rule["minor"].get<int64_t>()});
  }
  EXPECT_EQ(allowed, (std::set<std::pair<int64_t, int64_t>>{{node_.gpuMajor, 1},
                                                            {node_.gpuMajor, 255},
                                                            {node_.uvmMajor, 0},
                                                            {node_.uvmMajor, 1},
                                                            {node_.uvmMajor, 7}}));
  EXPECT_THAT(config["process"]["env"], Contains("NVIDIA_VISIBLE_DEVICES=GPU-fake-0001"));
  std::set<std::string> mounted;
  for (const auto& m : config["mounts"]) mounted.insert(m["destination"]);
  EXPECT_EQ(mounted.count(std::string(testing::kFakeLibDir) + "/libcuda.so.1"), 1u);
  EXPECT_EQ(mounted.count("/usr/bin/nvidia-smi"), 1u);
}

}  // namespace
}  // namespace spacelet::agent::gpu
