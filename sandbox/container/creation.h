// The part of `create` that `run` shares: from a bundle to an init waiting to start, with
// state written. Internal to the container module.
#pragma once

#include <memory>

#include "sandbox/cgroup/cgroup.h"
#include "sandbox/container/container.h"
#include "sandbox/hooks/hooks.h"
#include "sandbox/process/spawn.h"
#include "sandbox/spec/config.h"
#include "sandbox/state/store.h"

namespace spacelet::sandbox::container {

// How the init learns that it may start: the exec fifo (`create`, then `start` from
// another process) or a kStart message on the sync socket (`run`).
enum class StartMode { kFifo, kSync };

struct Created {
  state::Store store;
  UniqueFd dir;
  state::ContainerState state;
  spec::Spec spec;
  std::unique_ptr<cgroup::Manager> cgroup;
  process::Spawned spawned;
};

// `consoleSocket` >= 0 overrides options.consoleSocket (run's own terminal proxy).
Result<Created> createContainer(const GlobalOptions& global, const CreateOptions& options,
                                StartMode mode, int consoleSocket);

// Runs poststart hooks with the state; failures are logged as warnings (runtime-spec).
void runPoststartHooks(const spec::Spec& spec, const state::ContainerState& state);

// Tears down a stopped container: cgroup, poststop hooks, state directory.
Result<void> destroyContainer(const GlobalOptions& global, const state::Store& store,
                              const state::ContainerState& state, int dirFd);

}  // namespace spacelet::sandbox::container
