// What the container process inherits, and where it starts (the CVE-2024-21626 class):
// only stdio and the --preserve-fds fds survive execve; the working directory is resolved
// inside the container root and checked after fchdir to be reachable from it.
#pragma once

#include "sandbox/linux/step_error.h"

namespace spacelet::sandbox::linux {

// Clears FD_CLOEXEC on fds 3 .. 3+preserveFds-1 and sets it on every fd above them
// (close_range(2) CLOSE_RANGE_CLOEXEC, Linux 5.11), so nothing else crosses execve.
StepError limitInheritedFds(int preserveFds);

// Resolves process.cwd inside "/" (creating it if missing, as runc does), fchdirs to it and
// checks that getcwd(2) sees a path under the container root.
StepError enterWorkingDirectory(const char* cwd);

}  // namespace spacelet::sandbox::linux
