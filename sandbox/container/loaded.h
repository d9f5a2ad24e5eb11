// What every command after `create` needs: the container's state read back, its status as
// observed now, its stored config, its cgroup reopened, and a pidfd of its init that is
// checked against the recorded start time (so a reused pid is never signalled).
#pragma once

#include <memory>
#include <string>

#include "sandbox/container/container.h"
#include "sandbox/spec/config.h"
#include "sandbox/state/store.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::container {

struct Loaded {
  state::Store store;
  UniqueFd dir;  // <root>/<id>, flock'ed
  state::ContainerState state;
  state::Status status = state::Status::kStopped;
};

// Opens and locks the container and derives its status. A container whose create never
// finished (no state.json) has status kCreating.
Result<Loaded> loadContainer(const GlobalOptions& global, const std::string& id, bool exclusive);

// Fails with a message naming the status when it is not one of `allowed`.
Result<void> requireStatus(const Loaded& loaded, std::initializer_list<state::Status> allowed,
                           const std::string& action);

cgroup::Options cgroupOptions(const GlobalOptions& global, const std::string& id,
                              const std::string& cgroupsPath);
Result<std::unique_ptr<cgroup::Manager>> reopenCgroup(const GlobalOptions& global,
                                                      const state::ContainerState& state);

// The start time of `pid` (field 22 of /proc/<pid>/stat), or nullopt when it is gone or a
// zombie.
std::optional<uint64_t> processStartTime(pid_t pid);
// A pidfd of the container's init, or an error when it is no longer that process.
Result<UniqueFd> openInitPidfd(const state::ContainerState& state);

// The config.json stored at create time.
Result<spec::Spec> loadStoredConfig(int dirFd);

// Writes `pid` to path atomically (temp file + rename), as runc's --pid-file does.
Result<void> writePidFile(const std::string& path, pid_t pid);

// Waits until the process behind pidfd has exited (it need not be our child).
Result<void> waitForExit(int pidfd, int timeoutMs);

}  // namespace spacelet::sandbox::container
