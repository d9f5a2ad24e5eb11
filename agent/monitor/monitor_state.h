// The state file a per-container monitor keeps for its container, written atomically at each
// change (fsync + rename) so that a restarted agent reads a whole record: where the container
// is in its life, its pid, how it ended (exit code or signal, OOM kill), and who the monitor is
// (pid and start time, so a recycled pid is never mistaken for it).
// Pure JSON codec plus thin read/write helpers; the agent and the monitor both use it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "spacelet/base/error.h"

namespace spacelet::agent::monitor {

enum class Phase {
  kStarting,  // the monitor runs `create`/`start`
  kRunning,   // the container's process runs
  kExited,    // it ended; exit fields are set
  kFailed,    // create or start failed; error is set
};

std::string_view phaseName(Phase phase);  // "starting", "running", "exited", "failed"

struct MonitorState {
  Phase phase = Phase::kStarting;
  std::string containerId;
  pid_t monitorPid = 0;
  uint64_t monitorStartTime = 0;  // /proc/<pid>/stat field 22, in clock ticks since boot
  pid_t pid = 0;                  // the container's init process, once created
  int64_t startedAtMs = 0;
  int64_t exitedAtMs = 0;
  bool signaled = false;
  int exitValue = 0;  // the exit code, or the signal when signaled
  bool oomKilled = false;
  std::string error;  // why create/start failed (the runtime's own message)

  bool operator==(const MonitorState&) const = default;
};

std::string toJson(const MonitorState& state);
Result<MonitorState> fromJson(std::string_view text);

Result<void> writeState(const std::string& path, const MonitorState& state);
Result<MonitorState> readState(const std::string& path);

// What /proc/<pid>/stat says of a process: its state letter (field 3; 'Z' for a zombie) and
// its start time (field 22).
struct ProcStat {
  char state = '?';
  uint64_t startTime = 0;
};
// Pure: parses a /proc/<pid>/stat line (the comm field may hold spaces and parentheses).
std::optional<ProcStat> parseProcStat(std::string_view statLine);
// nullopt when the process is gone. `procRoot` is "/proc" except in tests.
std::optional<ProcStat> readProcStat(pid_t pid, const std::string& procRoot = "/proc");

// Whether the monitor that wrote `state` is still alive (same pid and start time, not a zombie).
bool monitorAlive(const MonitorState& state, const std::string& procRoot = "/proc");

}  // namespace spacelet::agent::monitor
