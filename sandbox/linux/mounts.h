// Applying planned mounts inside the container's mount namespace, before pivot_root: every
// target is resolved through the rootfs fd (in_root.h) and named to mount(2) as
// /proc/self/fd/N, so a symlink planted in the rootfs cannot move a mount outside it.
// Runs in the child after clone: no allocation.
#pragma once

#include "sandbox/linux/cgroup_mount.h"
#include "sandbox/linux/mount_plan.h"
#include "sandbox/linux/step_error.h"

namespace spacelet::sandbox::linux {

// Mounts `step` below rootFd. `inUserNs`: the init is in a new user namespace, where sysfs
// may only be bind-mounted (the kernel refuses a fresh sysfs without the netns' owner).
StepError applyMount(int rootFd, const MountStep& step, const CgroupMountPlan& cgroups,
                     bool inUserNs);

// mount_setattr(2) on the mount at `fd` (AT_EMPTY_PATH); a no-op when nothing changes.
StepError setMountAttributes(int fd, uint64_t set, uint64_t clear, bool recursive,
                             const char* subject);

}  // namespace spacelet::sandbox::linux
