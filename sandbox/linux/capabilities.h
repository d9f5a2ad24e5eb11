// Capabilities of the container process: drop the bounding set, switch user keeping the
// permitted set (PR_SET_KEEPCAPS), then set effective/permitted/inheritable with capset(2)
// and raise the ambient set. See capabilities(7), "Capabilities and execution of programs
// by root": a uid-0 process regains its bounding set at execve.
#pragma once

#include <cstdint>

#include "sandbox/linux/step_error.h"
#include "sandbox/spec/config.h"

namespace spacelet::sandbox::linux {

// The sets clamped to the capabilities the running kernel knows (cap_last_cap).
spec::Capabilities clampCapabilities(const spec::Capabilities& caps, int lastCap);

// Reads /proc/sys/kernel/cap_last_cap (before clone).
int kernelLastCapability();

// Before the user switch: drops every capability outside `bounding` from the bounding set
// and asks the kernel to keep the permitted set across setresuid.
StepError dropBoundingSet(uint64_t bounding, int lastCap);
// After the user switch: capset and ambient raises.
StepError applyCapabilitySets(const spec::Capabilities& caps, int lastCap);

}  // namespace spacelet::sandbox::linux
