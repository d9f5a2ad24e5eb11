// spacelet-probe: a small static program that runs inside containers and prints, as one JSON
// document on stdout, what the container sees or what happened when it tried something.
// Tests assert from inside the container with it. Each subcommand is a function below.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spacelet::probe {

using Args = std::vector<std::string>;

// report.cc: identity, credentials, capabilities, namespaces, mounts, limits, env, fds.
nlohmann::json report(const Args& args);
nlohmann::json cgroupLimits(const Args& args);  // cgroup: own cgroup v2 path and limits

// actions.cc: file and syscall attempts that report errno instead of failing.
nlohmann::json openPath(const Args& args);    // open PATH [r|w|rw]
nlohmann::json readPath(const Args& args);    // read PATH
nlohmann::json writePath(const Args& args);   // write PATH DATA
nlohmann::json statPath(const Args& args);    // stat PATH
nlohmann::json trySyscall(const Args& args);  // syscall NAME (unshare-user, mount-tmpfs, ...)
nlohmann::json connectTo(const Args& args);   // connect HOST PORT [tcp|udp] [TIMEOUT_MS]

// stress.cc: resource pressure for cgroup limit tests. Progress goes to stderr.
nlohmann::json hogMemory(const Args& args);  // hog-memory MIB
nlohmann::json spin(const Args& args);       // spin SECONDS
nlohmann::json forkBomb(const Args& args);   // fork-bomb [MAX]
// Like fork-bomb, but prints its report and then holds the children (and itself) until
// killed: a container parked at its pids limit, for "stays killable" checks.
nlohmann::json forkHold(const Args& args);  // fork-hold [MAX]

// clock.cc: CLOCK_MONOTONIC and CLOCK_BOOTTIME seconds (time namespace offsets).
nlohmann::json clocks(const Args& args);  // clock

}  // namespace spacelet::probe
