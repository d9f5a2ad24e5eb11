// Making a Space's config.json hold exactly its granted GPUs: the one call agent/bundle makes
// for every Space, with or without GPUs. It drops GPU variables an image may carry (an image
// never grants itself a GPU), applies the CDI edits of the granted devices, keeps the device
// cgroup deny-by-default so only the granted nodes are allowed, and sets the variables spacelet
// owns: NVIDIA_VISIBLE_DEVICES (the grant, or "void") and ACCELERATOR.
// Pure apart from the injected stat; not thread-safe on one config.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/gpu/cdi_registry.h"
#include "agent/gpu/container_edits.h"
#include "agent/gpu/inventory.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::gpu {

struct GrantOptions {
  std::string accelerator;  // ACCELERATOR's value for a GPU Space, e.g. "t4"; "" leaves it unset
  StatNode stat = hostStat();
};

// Environment variables spacelet alone sets; image values are removed.
inline constexpr const char* kVisibleDevicesVar = "NVIDIA_VISIBLE_DEVICES";
inline constexpr const char* kAcceleratorVar = "ACCELERATOR";

// On success `config` holds the grant; on error it is unchanged.
Result<void> applyGrant(nlohmann::json& config, const cdi::Registry& registry,
                        const std::vector<Gpu>& granted, const GrantOptions& options);

}  // namespace spacelet::agent::gpu
