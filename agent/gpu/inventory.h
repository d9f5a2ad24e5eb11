// The node's GPU inventory: the physical devices among the CDI registry's devices. CDI specs
// name one GPU several ways ("0", its "GPU-<uuid>", "all", MIG slices), so a device counts as
// a GPU only when its own device nodes are neither the same as another device's (an alias,
// whose GPU- name becomes the uuid) nor a strict superset of another's ("all", MIG).
// Pure; the result is a plain value, safe to share read-only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agent/gpu/cdi_registry.h"

namespace spacelet::agent::gpu {

// What the host says about a GPU (from /proc/driver/nvidia/gpus/*/information, see
// discovery.h), keyed by its device node ("/dev/nvidia0").
struct HostGpu {
  std::string model;  // "Tesla T4", "NVIDIA A100-SXM4-80GB"
  std::string uuid;   // "GPU-8f6d..."
  std::string busId;  // "0000:00:1e.0"
  int minor = -1;
};

struct Gpu {
  std::string name;                // qualified CDI name, what gets granted: "nvidia.com/gpu=0"
  std::string kind;                // "nvidia.com/gpu"
  std::string model;               // "" when neither the spec nor the host says
  std::string uuid;                // "" when unknown
  std::vector<std::string> nodes;  // its own device node paths (container side), sorted
};

// Annotations spacelet's generator writes on each device (CDI >= 0.6.0).
inline constexpr const char* kModelAnnotation = "spacelet.dev/gpu-model";
inline constexpr const char* kUuidAnnotation = "spacelet.dev/gpu-uuid";

// GPUs sorted by kind, then by name in natural order ("2" before "10").
std::vector<Gpu> buildInventory(const cdi::Registry& registry,
                                const std::map<std::string, HostGpu>& hostGpus = {});

// Whether a GPU of model `have` satisfies a flavor asking for `want` ("T4", "A100"): equal
// ignoring case, or equal to one of the words of `have` split at ' ', '-' and '_' (so "T4"
// matches "Tesla T4" and "A100" matches "NVIDIA A100-SXM4-80GB", but "L4" not "NVIDIA L40S").
// An empty `want` matches any model.
bool modelMatches(const std::string& want, const std::string& have);

// Natural order of device names: digit runs compare as numbers.
bool naturalLess(const std::string& a, const std::string& b);

}  // namespace spacelet::agent::gpu
