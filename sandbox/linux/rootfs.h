// The container's root: isolate propagation from the host, bind the rootfs onto itself so it
// is a mount point, pivot_root(2) into it (or MS_MOVE + chroot for --no-pivot), then make
// it read-only and set its propagation as config.json says. Child-side, no allocation.
#pragma once

#include <string>

#include "sandbox/linux/step_error.h"

namespace spacelet::sandbox::linux {

struct RootfsPlan {
  std::string rootfs;     // absolute host path of root.path
  int rootfsFd = -1;      // O_PATH of it in the container's mount namespace (kMountSources)
  bool readonly = false;  // root.readonly
  unsigned long hostPropagation = 0;  // applied recursively to "/" first (MS_SLAVE by default)
  unsigned long rootPropagation = 0;  // linux.rootfsPropagation, applied after pivot (0: none)
  bool noPivot = false;               // --no-pivot
};

// Makes the mount namespace's mounts stop propagating to the host, binds the rootfs onto
// itself and returns an O_PATH fd of it in *rootFd.
StepError prepareRootfs(const RootfsPlan& plan, int* rootFd);

// Switches the root to rootFd and detaches the old root.
StepError enterRootfs(const RootfsPlan& plan, int rootFd);

// After the rootfs is "/": read-only root and its propagation.
StepError finishRootfs(const RootfsPlan& plan);

}  // namespace spacelet::sandbox::linux
