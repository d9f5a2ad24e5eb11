// Validation of linux.resources.unified keys: a key becomes a file name inside the cgroup
// directory, so it must never reach outside it, never touch files the runtime manages, and
// name a writable file of a controller that is actually available.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "spacelet/base/error.h"

namespace spacelet::sandbox::cgroup {

// What a cgroup directory says about one of its files (regular files only).
enum class FileState { kAbsent, kReadOnly, kWritable };
using FileStateFn = std::function<FileState(const std::string& file)>;

// The spec field of a unified key, for errors: linux.resources.unified['memory.max'].
std::string unifiedField(const std::string& key);

// Checks `key` against the cgroup: a plain "<controller>.<name>" file name, a controller in
// `controllers`, not a runtime-managed cgroup.* file, present and writable (per `state`).
Result<void> checkUnifiedKey(const std::string& key, const std::set<std::string>& controllers,
                             const FileStateFn& state);

// The controller a key belongs to: the part before the first dot ("memory" for memory.max);
// empty for a key that is not a plain "<controller>.<file>" name (checkUnifiedKey says why).
std::string controllerOf(const std::string& key);

}  // namespace spacelet::sandbox::cgroup
