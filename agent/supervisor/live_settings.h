// The node settings that a SIGHUP may change and that each deployment reads when it starts:
// the recipes' base images and package sources, the build's timeout and limits, the run logs'
// limits. The supervisor applies the current configuration to its NodeServices for every
// deployment and restart, so a reload takes effect with the next one.
#pragma once

#include "agent/config/config.h"
#include "agent/supervisor/deployer.h"

namespace spacelet::agent::supervisor {

NodeServices withLiveSettings(NodeServices node, const config::Config& c);

}  // namespace spacelet::agent::supervisor
