// Small cgroupfs operations the drivers share: create and remove directories, list the
// processes below a cgroup, read flat-keyed files (memory.events, cpu.stat), and classify
// interface files. Paths are relative to a root directory fd ("/a/b" means root/a/b).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"
#include "unified_keys.h"

namespace spacelet::sandbox::cgroup {

// The root-relative form of a cgroup path: "/a/b" -> "a/b", "/" -> ".".
std::string relativeTo(const std::string& cgroupPath);

// mkdir -p below the root; returns the directories it created, outermost first.
Result<std::vector<std::string>> makeCgroupDirs(int rootFd, const std::string& cgroupPath);

Result<UniqueFd> openCgroupDir(int rootFd, const std::string& cgroupPath);

// Absent, read-only (no owner write bit: kernfs shows read-only files as 0444) or writable.
FileState fileStateAt(int dirFd, const std::string& file);

// Every pid in cgroup.procs of the directory and of all its descendants.
Result<std::vector<pid_t>> readProcsRecursive(int dirFd);

// Removes the cgroup and everything below it, deepest first, retrying EBUSY (tasks still
// exiting) with a growing pause until `timeoutMs` has passed. A missing directory is success.
Result<void> removeCgroupTree(int rootFd, const std::string& cgroupPath, int timeoutMs);

// Removes the now-empty directories strictly between `floor` and `cgroupPath` (which itself
// is gone), innermost first; stops quietly at the first one that is not empty.
void pruneEmptyParents(int rootFd, const std::string& cgroupPath, const std::string& floor);

// The value of `key` in a flat-keyed file ("oom_kill 3" lines); nothing if absent.
Result<std::optional<uint64_t>> readKeyedValue(int dirFd, const std::string& file,
                                               const std::string& key);

// For counters whose controller may be off: a missing file reads as nothing, and so does
// "max". The number in `file`, or the value of `key` in a flat-keyed file.
Result<std::optional<uint64_t>> readOptionalNumber(int dirFd, const std::string& file);
Result<std::optional<uint64_t>> readOptionalKeyed(int dirFd, const std::string& file,
                                                  const std::string& key);

// The whole file, without its trailing newline.
Result<std::string> readTrimmed(int dirFd, const std::string& file);

// Polls `check` until it returns true, sleeping from 1 ms doubling to 100 ms, for at most
// `timeoutMs`. Returns whether it became true.
template <typename Check>
Result<bool> waitUntil(int timeoutMs, Check check);

// Writes the decimal pid to cgroup.procs of the directory.
Result<void> writePid(int dirFd, pid_t pid);

}  // namespace spacelet::sandbox::cgroup

#include "cgroup_fs_inl.h"
