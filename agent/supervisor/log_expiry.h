// logs.retention: the build and run logs of deployments that ended longer ago than the
// retention are deleted (with their rotated files); the serving deployment's logs, and those
// of the build it runs, are kept whatever their age. The history records stay.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/store/space.h"
#include "agent/supervisor/deployment.h"

namespace spacelet::agent::supervisor {

// Returns how many files were deleted.
size_t expireDeploymentLogs(const std::string& stateDir, const store::SpaceId& id,
                            const DeploymentHistory& history, int64_t nowMs,
                            std::chrono::seconds retention);

}  // namespace spacelet::agent::supervisor
