// Assembles a BPF_PROG_TYPE_CGROUP_DEVICE program from OCI device rules: the cgroup v2 way
// to allow or deny device nodes (v2 has no devices.allow). Pure: rules in, instructions out.
//
// The program sees struct bpf_cgroup_dev_ctx {access_type = access << 16 | type, major,
// minor} and returns 1 (allow) or 0 (deny, the opener gets EPERM). Each requested access
// bit (mknod, read, write) is decided on its own: the last rule that matches the device and
// grants or denies that bit wins, and a bit no rule matches is denied. Rules are tested last
// to first, so the first match in the program is the one that counts.
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "cgroup.h"

namespace spacelet::sandbox::cgroup {

std::vector<struct bpf_insn> assembleDeviceProgram(const std::vector<DeviceRule>& rules);

}  // namespace spacelet::sandbox::cgroup
