// What a build interrupted by an agent restart (kill -9, a crash) leaves behind: its build
// container, which may still be running its step under an orphaned runtime process, the
// step's overlay and idmapped layer mounts, and its scratch directory. The builder removes
// them itself when a build ends; after a restart only the supervisor knows the build died.
#pragma once

#include <string>

#include "agent/build/builder.h"
#include "agent/supervisor/instance.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::supervisor {

// Deletes (--force) the containers in the build's runtime root, detaches every mount below
// its scratch directory, then removes the directory. Nothing is removed while a mount is
// left: the layers mounted there are shared with other builds and Spaces. A build that left
// nothing is not an error.
Result<void> removeInterruptedBuild(const build::BuilderSettings& builder,
                                    const RunnerSettings& runner, const std::string& buildId);

}  // namespace spacelet::agent::supervisor
