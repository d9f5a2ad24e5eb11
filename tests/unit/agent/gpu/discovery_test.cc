// discover() without root: host GPU reports and driver version from a fake /proc, libraries
// from a fake ld.so.cache root, binaries from a fake bin dir, and uvm nodes known only from
// /proc/devices. (Real character devices need mknod: tests/integration/agent_gpu.)
#include "agent/gpu/discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "gpu_test_util.h"
#include "test_env.h"

namespace spacelet::agent::gpu {
namespace {

using ::testing::HasSubstr;
using testing::writeFile;

const char* const kProcDevices =
    "Character devices:\n  1 mem\n  4 tty\n195 nvidia-frontend\n237 nvidia-caps\n"
    "508 nvidia-uvm\n\nBlock devices:\n  7 loop\n259 blkext\n";

const char* const kInformation =
    "Model: \t\t Tesla T4\nIRQ:   \t\t 44\nGPU UUID: \t GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c\n"
    "Video BIOS: \t 90.04.96.00.01\nBus Type: \t PCIe\nDMA Size: \t 47 bits\n"
    "Bus Location: \t 0000:00:1e.0\nDevice Minor: \t 0\nGPU Excluded:\t No\n";

const char* const kVersion =
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";

TEST(Discovery, ParsesProcFiles) {
  auto majors = parseProcDevices(kProcDevices);
  EXPECT_EQ(majors.at("nvidia-uvm"), 508);
  EXPECT_EQ(majors.at("nvidia-frontend"), 195);
  EXPECT_EQ(majors.count("loop"), 0u) << "block devices are not character majors";
  HostGpu gpu = parseGpuInformation(kInformation);
  EXPECT_EQ(gpu.model, "Tesla T4");
  EXPECT_EQ(gpu.uuid, "GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c");
  EXPECT_EQ(gpu.busId, "0000:00:1e.0");
  EXPECT_EQ(gpu.minor, 0);
  EXPECT_EQ(parseGpuInformation("Device Minor: x\n").minor, -1);
  EXPECT_EQ(parseDriverVersion(kVersion), "535.104.05");
  EXPECT_EQ(parseDriverVersion("garbage"), "");
}

class FakeHost : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::makeFakeDriverRoot(root_.path()); !why.empty()) GTEST_SKIP() << why;
    writeFile(root_ / "proc/devices", kProcDevices);
    writeFile(root_ / "proc/driver/nvidia/gpus/0000:00:1e.0/information", kInformation);
    writeFile(root_ / "proc/driver/nvidia/version", kVersion);
    writeFile(root_ / "dev/nvidia0", "a regular file, not a device");
    writeFile(root_ / "bin/nvidia-smi", "#!/bin/sh\n");
    ::chmod((root_ / "bin/nvidia-smi").c_str(), 0755);
    options_.devDir = root_ / "dev";
    options_.procDir = root_ / "proc";
    options_.ldCachePath = root_ / "etc/ld.so.cache";
    options_.libRoot = root_.path();
    options_.binDirs = {root_ / "nowhere", root_ / "bin"};
  }
  spacelet::testing::TempDir root_;
  DiscoveryOptions options_;
};

TEST_F(FakeHost, FindsLibrariesBinariesAndHostGpus) {
  auto found = discover(options_);
  ASSERT_TRUE(found) << found.error().message;
  std::map<std::string, std::string> libs;
  for (const auto& lib : found->libraries) libs[lib.containerPath] = lib.hostPath;
  std::string dir = testing::kFakeLibDir;
  EXPECT_EQ(libs.size(), 3u) << "libcuda, libnvidia-ml, libnvidia-ptxjitcompiler; not the others";
  EXPECT_EQ(libs[dir + "/libcuda.so.1"], root_ / (dir.substr(1) + "/libcuda.so.535.104.05"));
  EXPECT_EQ(libs[dir + "/libnvidia-ml.so.1"],
            root_ / (dir.substr(1) + "/libnvidia-ml.so.535.104.05"));
  ASSERT_EQ(found->binaries.size(), 1u);
  EXPECT_EQ(found->binaries[0].containerPath, "/usr/bin/nvidia-smi");
  EXPECT_EQ(found->binaries[0].hostPath, root_ / "bin/nvidia-smi");
  EXPECT_EQ(found->hostGpus.at("/dev/nvidia0").model, "Tesla T4");
  EXPECT_EQ(found->driverVersion, "535.104.05");
  EXPECT_TRUE(found->gpus.empty()) << "a regular file is not a GPU node";
  EXPECT_THAT(found->warnings, ::testing::Contains(HasSubstr("is not a character device")));
}

TEST_F(FakeHost, UvmNodesComeFromProcDevicesWhenAbsent) {
  auto found = discover(options_);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->controlNodes.size(), 2u);
  EXPECT_EQ(found->controlNodes[0].path, "/dev/nvidia-uvm");
  EXPECT_EQ(found->controlNodes[0].major, 508);
  EXPECT_EQ(found->controlNodes[0].minor, 0);
  EXPECT_FALSE(found->controlNodes[0].onHost);
  EXPECT_EQ(found->controlNodes[1].path, "/dev/nvidia-uvm-tools");
  EXPECT_EQ(found->controlNodes[1].minor, 1);
}

TEST_F(FakeHost, MissingCacheIsAWarningNotAFailure) {
  options_.ldCachePath = root_ / "etc/none";
  auto found = discover(options_);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->libraries.empty());
  EXPECT_THAT(found->warnings, ::testing::Contains(HasSubstr("no driver libraries")));
}

}  // namespace
}  // namespace spacelet::agent::gpu
