// A fake NVIDIA node for root-only tests: real character device nodes made with mknod on
// majors no driver has registered (so opening one that the device cgroup allows fails with
// ENXIO, not EPERM), a fake /proc (devices, driver/nvidia), the fake driver libraries with their
// ld.so.cache, and a fake nvidia-smi. Everything lives in one TempDir and goes with it.
#pragma once

#include <string>

#include "agent/gpu/discovery.h"
#include "test_env.h"

namespace spacelet::agent::gpu::testing {

class FakeNvidiaNode {
 public:
  // Returns "" when built, else why not (the test skips with that reason).
  std::string build();

  const std::string& root() const { return dir_.path(); }
  std::string path(const std::string& rel) const { return dir_ / rel; }
  DiscoveryOptions options() const;

  int64_t gpuMajor = -1;  // nvidia0, nvidia1, nvidiactl (the real driver uses 195)
  int64_t uvmMajor = -1;  // nvidia-uvm, nvidia-uvm-tools (dynamic in the real driver)

 private:
  spacelet::testing::TempDir dir_{"spacelet-gpu"};
};

}  // namespace spacelet::agent::gpu::testing
