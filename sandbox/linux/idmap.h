// uid_map and gid_map of a new user namespace, written by the runtime (privileged, in the
// parent user namespace) for the child that created the namespace; see user_namespaces(7).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::linux {

// "containerID hostID size\n" per mapping. Pure.
std::string formatIdMap(const std::vector<spec::IdMapping>& mappings);

// Writes /proc/<pid>/uid_map and gid_map.
Result<void> writeIdMaps(pid_t pid, const std::string& uidMap, const std::string& gidMap);

}  // namespace spacelet::sandbox::linux
