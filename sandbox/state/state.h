// A container's persisted state: what spacelet-run writes under --root/<id>/ when it
// creates a container and reads back in every later command (start, state, kill, exec,
// delete, ...). The status is never stored: it is derived from what is observed now (is
// the init alive, is the exec fifo still there, is the cgroup frozen), so it cannot go stale.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/spec/json_fields.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::state {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
std::string_view statusName(Status status);

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  uint64_t pidStartTime = 0;  // /proc/<pid>/stat field 22: tells a reused pid apart
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339, UTC
  uint32_t owner = 0;   // uid of the creator
  std::map<std::string, std::string> annotations;
  std::string cgroupPath;  // cgroup::Manager::persistentPath()
  bool systemdCgroup = false;
  std::optional<int> exitStatus;  // kept once spacelet-run has reaped the init (run --keep)
};

spec::Json toJson(const ContainerState& state);
Result<ContainerState> fromJson(const spec::Json& json);

// The OCI state document (runtime-spec "State"), plus runc's rootfs/created/owner fields,
// as `spacelet-run state` prints it and hooks receive it on stdin.
spec::Json ociState(const ContainerState& state, Status status);

// What is observed about a container right now; deriveStatus() is the pure rule.
struct Observation {
  bool stateWritten = false;  // state.json exists (create finished)
  bool initAlive = false;     // the init pid exists, is not a zombie and has the same start time
  bool execFifoPresent = false;
  bool frozen = false;
};
Status deriveStatus(const Observation& seen);

// Fields of /proc/<pid>/stat: the state letter and the start time (field 22).
struct ProcStat {
  char state = '?';
  uint64_t startTime = 0;
};
// Parses /proc/<pid>/stat text; the command name may hold spaces and ')'.
Result<ProcStat> parseProcStat(std::string_view text);

// A container id: 1-1024 of [A-Za-z0-9_+.-], not "." or "..". The error says why.
Result<void> validateId(const std::string& id);

// The current time in RFC 3339 with nanoseconds, UTC (the `created` field).
std::string nowRfc3339();

}  // namespace spacelet::sandbox::state
