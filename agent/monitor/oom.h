// How a monitor tells an OOM kill from any other SIGKILL: the container's memory cgroup counts
// OOM kills (cgroup v2 memory.events "oom_kill N"; v1 memory.oom_control "oom_kill N", since
// Linux 4.13). The monitor reads the count when the container starts and after it exits.
// Parsing is pure; reading takes the cgroup mount root so tests can use a temp dir.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spacelet/base/error.h"

namespace spacelet::agent::monitor {

// Where a process's memory accounting lives, relative to the cgroup mount root.
struct MemoryCgroup {
  bool v1 = false;   // a v1 memory hierarchy (hybrid hosts) rather than the unified one
  std::string path;  // "/spacelet/alice--demo--3"
  // The file holding the OOM kill count, under the mount root (e.g. /sys/fs/cgroup).
  std::string countersFile(const std::string& cgroupRoot) const;
};

// Pure: from /proc/<pid>/cgroup's text. A v1 "memory" line wins over the v2 "0::" line, since
// on hybrid hosts the memory controller is on v1. nullopt when neither is there.
std::optional<MemoryCgroup> memoryCgroupOf(std::string_view procPidCgroup);

// Pure: the "oom_kill N" counter of memory.events or memory.oom_control; 0 when absent.
uint64_t parseOomKills(std::string_view text);

Result<MemoryCgroup> readMemoryCgroup(pid_t pid, const std::string& procRoot = "/proc");
Result<uint64_t> readOomKills(const MemoryCgroup& cgroup, const std::string& cgroupRoot);

}  // namespace spacelet::agent::monitor
