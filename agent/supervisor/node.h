// Everything the supervisor acts through, made from the agent's configuration: the image
// store, the network policy, the builder's settings, the runtime and monitor paths, the front
// proxy (started here in its own session when it is not already running, so that it outlives
// the agent like the containers do) and its routes file. openSupervisor() returns the
// supervisor that owns them, as the daemon's SpaceLifecycle.
#pragma once

#include <memory>
#include <string>

#include "agent/api/space_lifecycle.h"
#include "agent/config/config.h"
#include "agent/daemon/event_loop.h"
#include "agent/store/space_registry.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::supervisor {

struct NodeContext {
  std::function<std::shared_ptr<const config::Config>()> config;
  daemon::EventLoop* loop = nullptr;
  store::SpaceRegistry* registry = nullptr;
  std::string cgroupRoot = "/sys/fs/cgroup";
  // Where spaceletd's own binary is: sibling helpers (spacectl, spacelet-monitor,
  // spacelet-proxy, spacelet-run) are looked for next to it and in the build tree's layout.
  std::string exeDir;
};

// Looks for a helper program: next to the agent, in the build tree's folder for it, then in
// the installed locations. Returns "" when none is there.
std::string findHelper(const std::string& exeDir, const std::string& name,
                       const std::string& buildSubdir);

// The directory of the running program (/proc/self/exe's), for findHelper.
std::string exeDir();

Result<std::unique_ptr<api::SpaceLifecycle>> openSupervisor(const NodeContext& context);

}  // namespace spacelet::agent::supervisor
