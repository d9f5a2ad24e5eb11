// The cgroup interface of spacelet-run: OCI `linux.resources` as a plain struct, and a
// Manager that creates a container's cgroup, places processes in it, applies and updates
// limits, freezes, kills and removes it. Drivers sit behind Manager: cgroup v2 (fs), the
// legacy v1/hybrid fallback, and systemd (transient scopes through sd-bus).
// Thread-safety: none; the runtime is single-threaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::cgroup {

// linux.resources.memory (bytes; -1 means unlimited, as in the spec).
struct Memory {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;  // memory+swap, as the spec defines it
  std::optional<uint64_t> swappiness;
  std::optional<bool> disableOomKiller;
  std::optional<bool> useHierarchy;
  std::optional<bool> checkBeforeUpdate;
};

// linux.resources.cpu.
struct Cpu {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtimeRuntime;
  std::optional<uint64_t> realtimePeriod;
  std::optional<std::string> cpus;
  std::optional<std::string> mems;
  std::optional<int64_t> idle;
  std::optional<uint64_t> burst;
};

// One linux.resources.devices entry: allow or deny type ('a', 'c', 'b') major:minor access.
struct DeviceRule {
  bool allow = false;
  char type = 'a';
  int64_t major = -1;  // -1: any ("*")
  int64_t minor = -1;
  std::string access = "rwm";
};

// Semantics shared by every driver: an empty `devices` list means no device filtering; a
// non-empty list starts from "deny everything" and applies the rules in order, the last
// matching rule deciding each access type (r, w, m) separately.
// In update(), unset fields leave the current value alone; a memory limit without a swap
// value grants no swap (memory.swap.max 0), unlike runc, which leaves swap unlimited.
struct Resources {
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<int64_t> pidsLimit;
  std::vector<DeviceRule> devices;
  std::map<std::string, std::string> unified;  // raw cgroup v2 file -> value
  std::optional<uint16_t> blockIoWeight;
  std::vector<std::pair<std::string, uint64_t>> hugepageLimits;  // pageSize -> limit
};

// Parses a linux.resources object (also the file given to `spacelet-run update --resources`).
// Errors name the JSON path, starting with `path` (e.g. "linux.resources.memory.limit").
Result<Resources> parseResources(const nlohmann::json& j, const std::string& path);

// The device nodes every container may use, as runc grants them: null, zero, full, random,
// urandom, tty, console, ptmx, the pts devices, and mknod of any char/block node (mknod alone
// gives no access). The runtime appends these after config.json's own rules.
std::vector<DeviceRule> defaultAllowedDevices();

// Which hierarchy the host has; detected from the cgroup root's filesystem type.
enum class Mode { kUnified, kHybrid, kLegacy };

struct Options {
  std::string containerId;
  // config.json's linux.cgroupsPath; empty means the default (`spacelet/<id>` below the
  // caller's cgroup). A relative path is created below the caller's own cgroup; an
  // absolute path is taken from the hierarchy root. With `systemd`, the
  // "slice:prefix:name" form that runc uses.
  std::string cgroupsPath;
  bool systemd = false;
  std::string root = "/sys/fs/cgroup";  // injected so tests can use a temp dir
  std::string procSelfCgroup = "/proc/self/cgroup";
  // The slice a systemd scope goes into when cgroupsPath names none.
  std::string systemdSlice = "spacelet.slice";
  // How long destroy() retries rmdir while exiting tasks leave, and how long freeze() waits
  // for every task to stop, in milliseconds.
  int removeTimeoutMs = 2000;
  int freezeTimeoutMs = 5000;
  // How long the systemd driver waits for systemd to start or stop a scope.
  int systemdJobTimeoutMs = 30000;
};

// Counters read back from the cgroup, for `state`, the agent and tests.
struct Stats {
  uint64_t oomKills = 0;       // memory.events oom_kill (v1: memory.oom_control oom_kill)
  uint64_t memoryCurrent = 0;  // bytes
  std::optional<int64_t> memoryMax;
  uint64_t pidsCurrent = 0;
  uint64_t cpuUsageUsec = 0;
};

class Manager {
 public:
  virtual ~Manager() = default;

  // Creates the cgroup(s) and applies `resources` before any process joins.
  virtual Result<void> create(const Resources& resources) = 0;
  // Moves `pid` (the container's init, or an exec'd process) into the cgroup.
  virtual Result<void> addProcess(pid_t pid) = 0;
  // Applies new limits to the running container (`spacelet-run update`).
  virtual Result<void> update(const Resources& resources) = 0;
  virtual Result<void> freeze() = 0;
  virtual Result<void> thaw() = 0;
  virtual Result<bool> frozen() = 0;
  // Every pid in the cgroup (and below), for `ps` and `kill --all`.
  virtual Result<std::vector<pid_t>> pids() = 0;
  // Signals every process in the cgroup (cgroup.kill for SIGKILL on v2 when available).
  virtual Result<void> killAll(int signal) = 0;
  virtual Result<Stats> stats() = 0;
  // Removes the cgroup(s); processes must be gone.
  virtual Result<void> destroy() = 0;
  // What the runtime stores in its state to reopen this cgroup later (a JSON-able string).
  virtual std::string persistentPath() const = 0;
  virtual Mode mode() const = 0;
  // cgroup v2 only (fs driver, after create()): a new O_DIRECTORY fd of the container's
  // cgroup, owned by the caller, for clone3's CLONE_INTO_CGROUP (Linux 5.7), so the child
  // is born inside its limits. Fails with code EOPNOTSUPP on drivers where the cgroup is
  // not a single v2 directory yet (v1/hybrid, systemd before its scope exists); the runtime
  // then uses addProcess().
  virtual Result<UniqueFd> cgroupDirFd() {
    return failErrno(EOPNOTSUPP, "CLONE_INTO_CGROUP with this cgroup driver");
  }

  // How a container's init joins a v1 / hybrid cgroup by itself instead of through
  // addProcess(): moving another process (writing its pid to cgroup.procs) takes the
  // kernel's global threadgroup lock for writing, which waits for an RCU grace period
  // (10-40 ms on the development VMs, paid by every start); a thread writing "0" to a v1
  // `tasks` file moves only itself and skips that lock, and clone3's CLONE_INTO_CGROUP
  // (the v2 part of a hybrid host) takes it only for reading. The fds are owned by the
  // caller; the init writes "0" to each tasks file before anything else (it is
  // single-threaded, so that moves the process). After create(); fails with code
  // EOPNOTSUPP where it does not apply (v2 uses cgroupDirFd(); the systemd driver places
  // the process itself).
  struct SelfJoin {
    std::vector<UniqueFd> tasksFiles;  // opened for writing
    UniqueFd cloneInto;                // a v2 directory for CLONE_INTO_CGROUP, or none
  };
  virtual Result<SelfJoin> selfJoin() {
    return failErrno(EOPNOTSUPP, "joining by itself with this cgroup driver");
  }
};

// Detects the host's hierarchy and returns the matching driver for a new container.
Result<std::unique_ptr<Manager>> open(const Options& options);
// Reopens the cgroup of an existing container from what persistentPath() returned.
Result<std::unique_ptr<Manager>> reopen(const Options& options, const std::string& persistentPath);

}  // namespace spacelet::sandbox::cgroup
