// One running container of a deployment (an "instance": crash restarts make new ones of the
// same deployment), as the agent sees it through its spacelet-monitor: started here with the
// monitor as a child in its own session, or adopted after an agent restart from the
// monitor's state file. The monitor's pidfd tells when the container's life is over; the
// state file tells how it ended. Stopping is SIGTERM, a grace period, then SIGKILL, through
// the runtime.
// Thread-safety: an Instance is used by one thread at a time; `retiring` may be read anywhere.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/monitor/log_writer.h"
#include "agent/monitor/monitor_state.h"
#include "agent/process/spawn.h"
#include "agent/store/space.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::supervisor {

struct RunnerSettings {
  std::string monitorPath;               // spacelet-monitor
  std::string runtimePath;               // spacelet-run
  std::vector<std::string> runtimeArgs;  // global flags, e.g. {"--root", "/run/spacelet/runtime"}
  std::string cgroupRoot = "/sys/fs/cgroup";
  monitor::LogLimits logLimits;
  std::chrono::seconds readyTimeout{120};
};

struct InstanceSpec {
  store::SpaceId space;
  int64_t seq = 0;
  int number = 0;
  std::string bundleDir;
  std::string stateFile;
  std::string runLog;
};

class Instance {
 public:
  Instance(InstanceSpec spec, std::string containerId)
      : spec_(std::move(spec)), containerId_(std::move(containerId)) {}

  const InstanceSpec& spec() const { return spec_; }
  const std::string& containerId() const { return containerId_; }
  pid_t monitorPid() const { return state_.monitorPid; }
  // Readable (POLLIN) once the monitor has exited: the container's life is recorded.
  FdView pidfd() const { return pidfd_.view(); }
  const monitor::MonitorState& lastState() const { return state_; }
  // Re-reads the state file; reaps the monitor when it is our child and has exited.
  Result<monitor::MonitorState> refresh();
  bool exited() const;

  // Set before a deliberate stop, so the monitor's exit is not taken for a crash.
  std::atomic<bool> retiring{false};

 private:
  friend Result<std::unique_ptr<Instance>> startInstance(const RunnerSettings&, InstanceSpec);
  friend Result<std::unique_ptr<Instance>> adoptInstance(const RunnerSettings&, InstanceSpec,
                                                         const std::string&);
  InstanceSpec spec_;
  std::string containerId_;
  monitor::MonitorState state_;
  UniqueFd pidfd_;
  std::optional<process::Child> child_;  // when this agent started the monitor
};

// Spawns the monitor for a new container and waits until it reports running (or failed:
// then the error names the reason). The monitor runs in its own session, outliving the agent.
Result<std::unique_ptr<Instance>> startInstance(const RunnerSettings& settings, InstanceSpec spec);

// Takes over an instance whose monitor is still alive (after an agent restart); ESRCH when
// its monitor is gone (read its final state with monitor::readState).
Result<std::unique_ptr<Instance>> adoptInstance(const RunnerSettings& settings, InstanceSpec spec,
                                                const std::string& containerId);

// SIGTERM, up to `grace` for the monitor to record the exit, then SIGKILL. Marks retiring.
Result<monitor::MonitorState> stopInstance(const RunnerSettings& settings, Instance& instance,
                                           std::chrono::seconds grace);

// Waits until the instance's monitor exits or `timeout` passes; true when it exited.
bool waitExited(const Instance& instance, std::chrono::milliseconds timeout);

// Runs the runtime with the settings' global flags (kill, delete, list); blocking, bounded.
Result<process::RunResult> runRuntime(const RunnerSettings& settings,
                                      const std::vector<std::string>& command);

}  // namespace spacelet::agent::supervisor
