// spacelet-monitor's command line: which runtime to drive, the container and its bundle, and
// where the state file and the run log go. Parsing is pure and unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/monitor/log_writer.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::monitor {

struct MonitorOptions {
  std::string runtime;                   // spacelet-run (or any runtime with runc's CLI)
  std::vector<std::string> runtimeArgs;  // global flags before the command ("--root", "DIR")
  std::string containerId;
  std::string bundle;
  std::string stateFile;
  std::string runtimeLog;  // the runtime's own errors (--log, JSON); default <state>.runtime
  std::string logFile;     // the container's output, timestamped and rotated
  LogLimits logLimits;
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string procRoot = "/proc";
  int readyFd = -1;  // gets one line (the state JSON) once running or failed, then is closed
  bool deleteOnExit = true;
};

std::string usage();

// argv without the program name.
Result<MonitorOptions> parseOptions(const std::vector<std::string>& args);

}  // namespace spacelet::agent::monitor
