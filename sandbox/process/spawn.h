// The parent side of starting a container's init or an exec'd process: clone3 the
// intermediate, answer its requests (cgroup, id maps, hooks) and hand back the process
// once it is ready. On any failure every child is killed and reaped before the error is
// returned, so a failed create leaves no process behind. See sync.h for the sequence.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "sandbox/process/init_plan.h"
#include "sandbox/process/sync.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::process {

// A child process of the runtime, killed and reaped on destruction unless released.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  // Gives up ownership: the process keeps running and is no longer reaped here.
  UniqueFd release();
  // Waits for exit; returns the shell-style status (128+signal when killed).
  Result<int> wait();
  void kill();

 private:
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

// What the caller does at each step of the protocol.
struct SpawnCallbacks {
  // Puts the intermediate into the container's cgroup (unless cgroupFd was used).
  std::function<Result<void>(pid_t)> joinCgroup;
  std::string uidMap;  // written when the intermediate made a user namespace
  std::string gidMap;
  // On the init (or exec'd process), before it continues: rlimits, oom_score_adj.
  std::function<Result<void>(pid_t)> configure;
  // The state JSON given to in-container hooks (init only): createContainer's, a NUL, and
  // startContainer's.
  std::function<std::string(pid_t)> stateJson;
  // prestart + createRuntime hooks (init only).
  std::function<Result<void>(pid_t)> runtimeHooks;
  int cgroupFd = -1;  // a cgroup v2 directory for CLONE_INTO_CGROUP, or -1
};

struct Spawned {
  ChildProcess process;
  UniqueFd sync;  // the parent's end, for kStart (run) and errors after it
};

// create/run: returns once the init reported kInitReady (it then waits for start).
Result<Spawned> spawnInit(InitPlan& plan, SyncPair pair, const SpawnCallbacks& callbacks);

// run: tells the init to start and waits until it has execve'd (EOF) or failed.
Result<void> startViaSync(Spawned& spawned);

// exec: the intermediate joins the container through `joinPidfd` (setns with `nsFlags`) and
// the process runs `plan`; returns once it has execve'd.
Result<ChildProcess> spawnExec(ProcessPlan& plan, int joinPidfd, int nsFlags, SyncPair pair,
                               const SpawnCallbacks& callbacks);

}  // namespace spacelet::sandbox::process
