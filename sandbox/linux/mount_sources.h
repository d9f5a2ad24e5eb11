// Parent side of handing mount sources to the container: opens host paths (the rootfs,
// bind sources) as O_PATH fds inside another process's mount namespace, through
// /proc/<pid>/root with RESOLVE_IN_ROOT, so the fds belong to that namespace (open_tree(2)
// and move_mount(2) refuse mounts of other namespaces) and symlinks resolve as that
// process would see them.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::linux {

Result<std::vector<UniqueFd>> openInMountNamespaceOf(pid_t pid,
                                                     const std::vector<std::string>& paths);

}  // namespace spacelet::sandbox::linux
