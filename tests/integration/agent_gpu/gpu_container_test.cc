// GPU grants seen from inside a container run by spacelet-run: on a fake node (mknod'ed
// character devices on majors with no driver), the granted GPU opens to ENXIO, which proves
// the device cgroup let the open through to a missing driver, while a GPU node that is present
// but not granted fails with EPERM, and the image's NVIDIA_VISIBLE_DEVICES is gone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "agent/gpu/allocator.h"
#include "agent/gpu/cdi_generate.h"
#include "agent/gpu/grant.h"
#include "fake_nvidia_node.h"

namespace spacelet::agent::gpu {
namespace {

using nlohmann::json;
namespace t = spacelet::testing;

class GpuContainer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = node_.build(); !why.empty()) GTEST_SKIP() << why;
#ifndef SPACELET_HAS_RUNTIME
    GTEST_SKIP() << "spacelet-run is not part of this build yet";
#endif
    ASSERT_EQ(::access(t::runtimePath().c_str(), X_OK), 0) << t::runtimePath() << " is not built";
    ASSERT_EQ(t::makeBusyboxRootfs(bundle_ / "rootfs"), "");
    auto spec = t::runCommand({t::runtimePath(), "spec", "--bundle", bundle_.path()});
    ASSERT_EQ(spec.status, 0) << spec.output;
    std::ifstream in(bundle_ / "config.json");
    config_ = json::parse(in);
    config_["process"]["terminal"] = false;
    config_["process"]["env"].push_back("NVIDIA_VISIBLE_DEVICES=all");  // as an image might
    auto found = discover(node_.options());
    ASSERT_TRUE(found) << found.error().message;
    auto generated = generateSpec(*found, {});
    ASSERT_TRUE(generated) << generated.error().message;
    auto written = writeSpec(*generated, node_.path("run/cdi"));
    ASSERT_TRUE(written) << written.error().message;
    registry_ = cdi::loadRegistry({{node_.path("run/cdi")}});
    ASSERT_TRUE(registry_.problems().empty()) << registry_.problems().front().message;
    gpus_ = buildInventory(registry_, found->hostGpus);
    ASSERT_EQ(gpus_.size(), 2u);
  }

  // Grants gpus_[1] to the config, also puts the ungranted GPU's node into the container, runs
  // the probe with `args` and returns its JSON.
  json runGranted(const std::vector<std::string>& args) {
    json config = config_;
    auto applied = applyGrant(config, registry_, {gpus_[1]}, {"t4", hostStat()});
    EXPECT_TRUE(applied) << applied.error().message;
    // The other GPU's node reaches the container by a bind mount (as a volume could bring it),
    // not through linux.devices, so only the device cgroup stands between it and the Space.
    config["mounts"].push_back({{"destination", "/dev/nvidia0"},
                                {"type", "bind"},
                                {"source", node_.path("dev/nvidia0")},
                                {"options", {"bind"}}});
    std::vector<std::string> full = {"/bin/spacelet-probe"};
    full.insert(full.end(), args.begin(), args.end());
    config["process"]["args"] = full;
    std::ofstream(bundle_ / "config.json") << config.dump();
    std::string id = "gpu-test-" + std::to_string(::getpid()) + "-" + std::to_string(++runs_);
    auto result = t::runCommand(
        {t::runtimePath(), "--root", state_.path(), "run", "--bundle", bundle_.path(), id});
    EXPECT_EQ(result.status, 0) << result.output;
    std::string line, last;
    std::istringstream lines(result.output);
    while (std::getline(lines, line))
      if (!line.empty()) last = line;
    try {
      return json::parse(last);
    } catch (const json::exception&) {
      ADD_FAILURE() << "no JSON from the probe: " << result.output;
      return json::object();
    }
  }

  testing::FakeNvidiaNode node_;
  t::TempDir bundle_{"spacelet-gpu-bundle"};
  t::TempDir state_{"spacelet-gpu-state"};
  json config_;
  cdi::Registry registry_;
  std::vector<Gpu> gpus_;
  int runs_ = 0;
};

TEST_F(GpuContainer, GrantedGpuOpensToTheDriverUngrantedIsDenied) {
  auto granted = runGranted({"open", "/dev/nvidia1", "rw"});
  EXPECT_EQ(granted["errno"], ENXIO) << granted.dump() << " (ENXIO: allowed, no driver)";
  auto control = runGranted({"open", "/dev/nvidiactl", "rw"});
  EXPECT_EQ(control["errno"], ENXIO) << control.dump();
  auto denied = runGranted({"open", "/dev/nvidia0", "rw"});
  EXPECT_EQ(denied["errno"], EPERM) << denied.dump() << " (EPERM: the device cgroup)";
}

TEST_F(GpuContainer, SpaceletSetsTheVisibleDevices) {
  auto report = runGranted({"report"});
  ASSERT_TRUE(report.contains("env")) << report.dump();
  EXPECT_EQ(report["env"].value("NVIDIA_VISIBLE_DEVICES", ""), "GPU-fake-0001") << report["env"];
  EXPECT_EQ(report["env"].value("ACCELERATOR", ""), "t4") << report["env"];
}

}  // namespace
}  // namespace spacelet::agent::gpu
