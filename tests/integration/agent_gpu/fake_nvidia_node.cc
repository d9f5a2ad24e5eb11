// Implementation of the fake NVIDIA node (see fake_nvidia_node.h).
#include "fake_nvidia_node.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "gpu_test_util.h"

namespace spacelet::agent::gpu::testing {
namespace {

// Character majors the running kernel has no driver for, from the top of the dynamic range.
std::vector<int64_t> unusedMajors(size_t count) {
  std::ifstream in("/proc/devices");
  std::set<int64_t> used;
  std::string line;
  bool character = false;
  while (std::getline(in, line)) {
    if (line.starts_with("Character")) character = true;
    if (line.starts_with("Block")) character = false;
    std::istringstream fields(line);
    int64_t major;
    if (character && fields >> major) used.insert(major);
  }
  std::vector<int64_t> free;
  for (int64_t major = 234; major >= 60 && free.size() < count; --major) {
    if (!used.count(major)) free.push_back(major);
  }
  return free;
}

std::string makeNode(const std::string& path, int64_t major, int64_t minor) {
  makeDirs(path.substr(0, path.rfind('/')));
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(major, minor)) != 0) {
    return "mknod " + path + ": " + std::strerror(errno);
  }
  return "";
}

}  // namespace

std::string FakeNvidiaNode::build() {
  if (auto why = spacelet::testing::requireRoot(); !why.empty()) return why;
  auto majors = unusedMajors(2);
  if (majors.size() < 2) return "no two unused character majors in /proc/devices";
  gpuMajor = majors[0];
  uvmMajor = majors[1];
  if (auto why = makeFakeDriverRoot(root()); !why.empty()) return why;
  for (auto [name, major, minor] :
       {std::tuple{"dev/nvidia0", gpuMajor, 0L}, std::tuple{"dev/nvidia1", gpuMajor, 1L},
        std::tuple{"dev/nvidiactl", gpuMajor, 255L}, std::tuple{"dev/nvidia-uvm", uvmMajor, 0L},
        std::tuple{"dev/nvidia-uvm-tools", uvmMajor, 1L},
        std::tuple{"dev/nvidia-caps/nvidia-cap1", uvmMajor, 7L}}) {
    if (auto why = makeNode(path(name), major, minor); !why.empty()) return why;
  }
  writeFile(path("proc/devices"), "Character devices:\n  1 mem\n" + std::to_string(gpuMajor) +
                                      " nvidia-frontend\n" + std::to_string(uvmMajor) +
                                      " nvidia-uvm\n\nBlock devices:\n  7 loop\n");
  writeFile(path("proc/driver/nvidia/gpus/0000:00:1e.0/information"),
            "Model: \t\t Tesla T4\nGPU UUID: \t GPU-fake-0000\nBus Location: \t 0000:00:1e.0\n"
            "Device Minor: \t 0\n");
  writeFile(path("proc/driver/nvidia/gpus/0000:00:1f.0/information"),
            "Model: \t\t Tesla T4\nGPU UUID: \t GPU-fake-0001\nBus Location: \t 0000:00:1f.0\n"
            "Device Minor: \t 1\n");
  writeFile(path("bin/nvidia-smi"), "#!/bin/sh\necho 'fake nvidia-smi'\n");
  ::chmod(path("bin/nvidia-smi").c_str(), 0755);
  return "";
}

DiscoveryOptions FakeNvidiaNode::options() const {
  DiscoveryOptions o;
  o.devDir = path("dev");
  o.procDir = path("proc");
  o.ldCachePath = path("etc/ld.so.cache");
  o.libRoot = root();
  o.binDirs = {path("bin")};
  return o;
}

}  // namespace spacelet::agent::gpu::testing
