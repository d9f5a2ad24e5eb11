// buildInventory(): aliases (GPU-<uuid>), "all" and MIG devices collapse to one entry per
// physical GPU; models come from annotations or the host; modelMatches and natural order.
#include "agent/gpu/inventory.h"

#include <gtest/gtest.h>

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;

cdi::Registry registryOf(const std::vector<json>& specs) {
  std::vector<cdi::LoadedSpec> loaded;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto spec = cdi::parseSpec(specs[i]);
    EXPECT_TRUE(spec) << spec.error().message;
    if (spec) loaded.push_back({"spec" + std::to_string(i) + ".json", 0, std::move(*spec)});
  }
  return cdi::makeRegistry(std::move(loaded));
}

json device(const std::string& name, std::vector<std::string> nodes) {
  json list = json::array();
  for (const auto& n : nodes) list.push_back({{"path", n}});
  return {{"name", name}, {"containerEdits", {{"deviceNodes", list}}}};
}

TEST(Inventory, CollapsesAliasesAllAndMig) {
  json nvidia{
      {"cdiVersion", "0.5.0"},
      {"kind", "nvidia.com/gpu"},
      {"devices",
       {device("0", {"/dev/nvidia0", "/dev/dri/card1"}),
        device("GPU-aaaa", {"/dev/dri/card1", "/dev/nvidia0"}), device("1", {"/dev/nvidia1"}),
        device("GPU-bbbb", {"/dev/nvidia1"}), device("10", {"/dev/nvidia10"}),
        device("0:0", {"/dev/nvidia0", "/dev/dri/card1", "/dev/nvidia-caps/nvidia-cap21"}),
        device("all", {"/dev/nvidia0", "/dev/dri/card1", "/dev/nvidia1", "/dev/nvidia10"})}}};
  auto gpus = buildInventory(registryOf({nvidia}));
  ASSERT_EQ(gpus.size(), 3u);
  EXPECT_EQ(gpus[0].name, "nvidia.com/gpu=0");
  EXPECT_EQ(gpus[0].uuid, "GPU-aaaa");
  EXPECT_EQ(gpus[0].nodes, (std::vector<std::string>{"/dev/dri/card1", "/dev/nvidia0"}));
  EXPECT_EQ(gpus[1].name, "nvidia.com/gpu=1");
  EXPECT_EQ(gpus[1].uuid, "GPU-bbbb");
  EXPECT_EQ(gpus[2].name, "nvidia.com/gpu=10") << "natural order: 10 after 1";
  EXPECT_EQ(gpus[2].uuid, "");
}

TEST(Inventory, ModelsFromAnnotationsThenFromTheHost) {
  json annotated = device("0", {"/dev/nvidia0"});
  annotated["annotations"] = {{kModelAnnotation, "Tesla T4"}, {kUuidAnnotation, "GPU-t4"}};
  json spec{{"cdiVersion", "0.6.0"},
            {"kind", "nvidia.com/gpu"},
            {"devices", {annotated, device("1", {"/dev/nvidia1"}), device("2", {"/dev/nvidia2"})}}};
  std::map<std::string, HostGpu> host = {
      {"/dev/nvidia0", {"ignored: the annotation wins", "GPU-x", "", 0}},
      {"/dev/nvidia1", {"NVIDIA A100-SXM4-80GB", "GPU-a100", "0000:00:04.0", 1}}};
  auto gpus = buildInventory(registryOf({spec}), host);
  ASSERT_EQ(gpus.size(), 3u);
  EXPECT_EQ(gpus[0].model, "Tesla T4");
  EXPECT_EQ(gpus[0].uuid, "GPU-t4");
  EXPECT_EQ(gpus[1].model, "NVIDIA A100-SXM4-80GB");
  EXPECT_EQ(gpus[1].uuid, "GPU-a100");
  EXPECT_EQ(gpus[2].model, "");
}

TEST(Inventory, DevicesWithoutNodesAreNotGpus) {
  json spec{{"cdiVersion", "0.6.0"},
            {"kind", "example.com/x"},
            {"devices", {{{"name", "env-only"}, {"containerEdits", {{"env", {"A=1"}}}}}}}};
  EXPECT_TRUE(buildInventory(registryOf({spec})).empty());
}

TEST(Inventory, ModelMatching) {
  EXPECT_TRUE(modelMatches("", "anything"));
  EXPECT_TRUE(modelMatches("T4", "Tesla T4"));
  EXPECT_TRUE(modelMatches("t4", "NVIDIA T4"));
  EXPECT_TRUE(modelMatches("A100", "NVIDIA A100-SXM4-80GB"));
  EXPECT_TRUE(modelMatches("A10G", "NVIDIA A10G"));
  EXPECT_TRUE(modelMatches("L40S", "NVIDIA L40S"));
  EXPECT_TRUE(modelMatches("NVIDIA L4", "NVIDIA L4"));
  EXPECT_FALSE(modelMatches("L4", "NVIDIA L40S"));
  EXPECT_FALSE(modelMatches("A10G", "NVIDIA A100-PCIE-40GB"));
  EXPECT_FALSE(modelMatches("T4", ""));
}

TEST(Inventory, NaturalOrder) {
  EXPECT_TRUE(naturalLess("2", "10"));
  EXPECT_FALSE(naturalLess("10", "2"));
  EXPECT_TRUE(naturalLess("gpu=2", "gpu=10"));
  EXPECT_TRUE(naturalLess("a", "b"));
  EXPECT_TRUE(naturalLess("nvidia1", "nvidia01a"));
  EXPECT_FALSE(naturalLess("x", "x"));
}

}  // namespace
}  // namespace spacelet::agent::gpu
