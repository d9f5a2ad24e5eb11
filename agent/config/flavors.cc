// The built-in flavor table: Hugging Face's published hardware (CPU basic and upgrade, and the
// GPU upgrades with their vCPU, memory and GPU memory). An operator's `flavors:` replaces it.
#include "agent/config/config.h"

namespace spacelet::agent::config {
namespace {

Flavor cpu(const char* description, double cpus, uint64_t memoryGiB) {
  Flavor f;
  f.description = description;
  f.cpus = cpus;
  f.memoryBytes = memoryGiB * kGiB;
  return f;
}

Flavor gpu(const char* description, double cpus, uint64_t memoryGiB, uint64_t gpus,
           const char* model, uint64_t gpuMemoryGiB) {
  Flavor f = cpu(description, cpus, memoryGiB);
  f.gpus = gpus;
  f.gpuKind = "nvidia.com/gpu";
  f.gpuModel = model;
  f.gpuMemoryBytes = gpuMemoryGiB * kGiB;
  return f;
}

}  // namespace

std::map<std::string, Flavor> defaultFlavors() {
  return {
      {"cpu-basic", cpu("CPU basic", 2, 16)},
      {"cpu-upgrade", cpu("CPU upgrade", 8, 32)},
      {"t4-small", gpu("Nvidia T4 - small", 4, 15, 1, "T4", 16)},
      {"t4-medium", gpu("Nvidia T4 - medium", 8, 30, 1, "T4", 16)},
      {"l4x1", gpu("1x Nvidia L4", 8, 30, 1, "L4", 24)},
      {"l4x4", gpu("4x Nvidia L4", 48, 186, 4, "L4", 96)},
      {"l40sx1", gpu("1x Nvidia L40S", 8, 62, 1, "L40S", 48)},
      {"l40sx4", gpu("4x Nvidia L40S", 48, 382, 4, "L40S", 192)},
      {"l40sx8", gpu("8x Nvidia L40S", 192, 1534, 8, "L40S", 384)},
      {"a10g-small", gpu("Nvidia A10G - small", 4, 15, 1, "A10G", 24)},
      {"a10g-large", gpu("Nvidia A10G - large", 12, 46, 1, "A10G", 24)},
      {"a10g-largex2", gpu("2x Nvidia A10G - large", 24, 92, 2, "A10G", 48)},
      {"a10g-largex4", gpu("4x Nvidia A10G - large", 48, 184, 4, "A10G", 96)},
      {"a100-large", gpu("Nvidia A100 - large", 12, 142, 1, "A100", 80)},
  };
}

}  // namespace spacelet::agent::config
