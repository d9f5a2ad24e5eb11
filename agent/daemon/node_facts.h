// Facts about the node for /v1/info: CPUs, memory, hostname, and how cgroups are mounted
// ("unified": cgroup v2 only; "hybrid": v1 controllers with a v2 mount beside them;
// "legacy": v1 only). The cgroup root is injected so tests can point it elsewhere.
#pragma once

#include <string>

#include "agent/api/api.h"

namespace spacelet::agent::daemon {

std::string detectCgroupMode(const std::string& cgroupRoot);
api::NodeFacts readNodeFacts(const std::string& version, const std::string& cgroupRoot);

}  // namespace spacelet::agent::daemon
