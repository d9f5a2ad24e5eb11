// One agent per state directory: an flock(2) on <state_dir>/spaceletd.lock, held for the
// agent's life (the kernel drops it when the process dies, even by kill -9). The file holds
// the owner's pid, for the message a second agent prints.
#pragma once

#include <string>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::daemon {

Result<UniqueFd> lockStateDir(const std::string& stateDir);

}  // namespace spacelet::agent::daemon
