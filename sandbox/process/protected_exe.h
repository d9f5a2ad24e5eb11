// CVE-2019-5736: a container that can run /proc/self/exe of a runtime process could reopen
// the runtime binary for writing once the runtime exits. spacelet-run therefore runs, for
// the commands that start container processes, from a copy the container cannot write: a
// detached read-only bind mount of its own binary (shares the page cache; needs
// CAP_SYS_ADMIN), or else a sealed memfd copy. Detection is "is /proc/self/exe already on a
// read-only mount or a write-sealed memfd", so the re-exec happens at most once.
#pragma once

#include "spacelet/base/error.h"

namespace spacelet::sandbox::process {

// True when /proc/self/exe cannot be reopened for writing.
bool exeIsProtected();

// Re-executes the running binary from a protected copy with the same argv and environment.
// Returns only on failure.
Error reexecProtected(char** argv, char** envp);

}  // namespace spacelet::sandbox::process
