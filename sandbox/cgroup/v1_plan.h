// Pure planning for the legacy v1 / hybrid hierarchies: Resources -> writes tagged with the
// controller hierarchy whose directory holds each file (kUnifiedHierarchy for the v2 mount
// of a hybrid host). The driver gathers a V1Context from the real directories.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup.h"
#include "unified_keys.h"
#include "write_plan.h"

namespace spacelet::sandbox::cgroup {

struct V1Context {
  std::set<std::string> hierarchies;         // v1 controllers mounted and joined
  std::set<std::string> unifiedControllers;  // hybrid: controllers available on the v2 mount
  std::function<FileState(const std::string& hierarchy, const std::string& file)> fileState;
  // memory.limit_in_bytes now (nothing: unlimited): decides whether memsw or the limit is
  // written first, since the kernel insists on limit <= memsw at every step.
  std::optional<int64_t> currentMemoryLimit;
  std::optional<uint64_t> memoryUsage;  // read when checkBeforeUpdate is set
};

Result<std::vector<Write>> planV1(const Resources& resources, const V1Context& context);

// v1 device rules: deny everything, then each rule in order ("a" only for the full wildcard).
std::vector<Write> planV1Devices(const std::vector<DeviceRule>& rules);

}  // namespace spacelet::sandbox::cgroup
