// Applying CDI container edits to an OCI config.json (nlohmann::json), as the CDI library does
// for podman and containerd: env (replacing same-named variables), device nodes (type, major,
// minor and mode taken from the host when the spec omits them) with a device-cgroup allow rule
// each, mounts (replacing the same destination; parents before children), hooks, additional
// gids and intelRdt. netDevices are refused: moving a host interface into a Space would step
// around its egress policy. Pure apart from the injected stat; not thread-safe on one config.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/gpu/cdi_registry.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

// What stat(2) says about a device node on the host.
struct HostNode {
  std::string type;  // "c", "b" or "p"
  int64_t major = 0;
  int64_t minor = 0;
  uint32_t mode = 0;  // permission bits
};
using StatNode = std::function<Result<HostNode>(const std::string& hostPath)>;

// stat(2) on the real filesystem; errors name the path.
StatNode hostStat();

// The edits for a set of granted devices, in CDI's order: each spec's own edits once (before
// its first device), then each device's. Fails on a name the registry does not have.
Result<cdi::ContainerEdits> collectEdits(const cdi::Registry& registry,
                                         const std::vector<std::string>& qualifiedNames);

// Applies `edits` to `config` in place. On error `config` may be partly edited: apply to a
// copy when that matters.
Result<void> applyEdits(nlohmann::json& config, const cdi::ContainerEdits& edits,
                        const StatNode& stat);

}  // namespace spacelet::agent::gpu
