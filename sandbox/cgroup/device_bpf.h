// Loads a device program (device_program.h) into the kernel and attaches it to a cgroup v2
// directory with BPF_F_ALLOW_MULTI, replacing spacelet's previous program there, if any.
// Programs are recognised by their name, so a later `spacelet-run update` (a new process that
// holds no fd of the old program) finds and detaches the one it replaces, and leaves other
// owners' programs (systemd's DeviceAllow= program on a scope) alone. See bpf(2).
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "cgroup.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::cgroup {

inline constexpr char kDeviceProgramName[] = "spacelet_dev";

// BPF_PROG_LOAD of a BPF_PROG_TYPE_CGROUP_DEVICE program; the verifier's log is in the error.
Result<UniqueFd> loadDeviceProgram(const std::vector<struct bpf_insn>& program);

// Attaches `rules` as a new program to `cgroupFd`, then detaches the programs named
// kDeviceProgramName that were attached before. Attaching first means there is no moment
// without a filter: while both are attached, a device must pass both.
Result<void> installDeviceFilter(int cgroupFd, const std::vector<DeviceRule>& rules);

// The ids of programs named kDeviceProgramName attached directly to `cgroupFd`.
Result<std::vector<uint32_t>> spaceletDevicePrograms(int cgroupFd);

}  // namespace spacelet::sandbox::cgroup
