// generateSpec(): a Discovery becomes a CDI spec (golden), which parses with parseSpec, yields
// one inventory GPU per node with model and uuid, and round-trips through writeSpec and the
// registry.
#include "agent/gpu/cdi_generate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/gpu/cdi_registry.h"
#include "gpu_test_util.h"
#include "test_env.h"

namespace spacelet::agent::gpu {
namespace {

Discovery twoGpuNode() {
  Discovery d;
  d.gpus = {{"/dev/nvidia0", "/dev/nvidia0", "c", 195, 0, true},
            {"/dev/nvidia1", "/fake/dev/nvidia1", "c", 195, 1, true}};
  d.controlNodes = {{"/dev/nvidiactl", "/dev/nvidiactl", "c", 195, 255, true},
                    {"/dev/nvidia-uvm", "/dev/nvidia-uvm", "c", 508, 0, false}};
  d.hostGpus["/dev/nvidia0"] = {"Tesla T4", "GPU-aaaa", "0000:00:1e.0", 0};
  d.libraries = {{"/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                  "/usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05"}};
  d.binaries = {{"/usr/bin/nvidia-smi", "/usr/bin/nvidia-smi"}};
  d.driverVersion = "535.104.05";
  return d;
}

TEST(CdiGenerate, MatchesGoldenAndParses) {
  auto spec = generateSpec(twoGpuNode(), {});
  ASSERT_TRUE(spec) << spec.error().message;
  testing::expectGolden(*spec, "generated_two_gpus.json");
  auto parsed = cdi::parseSpec(*spec);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->devices.size(), 3u);
}

TEST(CdiGenerate, InventoryFindsEachGpuOnceWithItsModel) {
  auto spec = generateSpec(twoGpuNode(), {});
  ASSERT_TRUE(spec);
  std::vector<cdi::LoadedSpec> specs;
  specs.push_back({"generated.json", 1, *cdi::parseSpec(*spec)});
  auto gpus = buildInventory(cdi::makeRegistry(std::move(specs)));
  ASSERT_EQ(gpus.size(), 2u) << "'all' is not a GPU of its own";
  EXPECT_EQ(gpus[0].name, "nvidia.com/gpu=0");
  EXPECT_EQ(gpus[0].model, "Tesla T4");
  EXPECT_EQ(gpus[0].uuid, "GPU-aaaa");
  EXPECT_EQ(gpus[1].name, "nvidia.com/gpu=1");
  EXPECT_EQ(gpus[1].model, "");
}

TEST(CdiGenerate, NoGpuIsAClearError) {
  auto spec = generateSpec(Discovery{}, {});
  ASSERT_FALSE(spec);
  EXPECT_THAT(spec.error().message, ::testing::HasSubstr("no NVIDIA GPU device nodes"));
}

TEST(CdiGenerate, WrittenSpecLoadsThroughTheRegistry) {
  spacelet::testing::TempDir dir;
  auto spec = generateSpec(twoGpuNode(), {"example.com/gpu"});
  ASSERT_TRUE(spec);
  auto written = writeSpec(*spec, dir / "run-cdi");
  ASSERT_TRUE(written) << written.error().message;
  auto registry = cdi::loadRegistry({{dir / "run-cdi"}});
  EXPECT_TRUE(registry.problems().empty());
  EXPECT_THAT(
      registry.deviceNames(),
      ::testing::ElementsAre("example.com/gpu=0", "example.com/gpu=1", "example.com/gpu=all"));
}

}  // namespace
}  // namespace spacelet::agent::gpu
