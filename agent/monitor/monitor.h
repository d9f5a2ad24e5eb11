// The per-container monitor (what conmon is to podman): it creates and starts one container
// with the runtime, holds the container's stdout/stderr and writes them to a timestamped,
// size-capped, rotated log, reaps the container's init (as a child subreaper) and records how
// it ended, OOM kills included, in a state file written atomically. It runs in its own session
// and ignores the signals a terminal or the agent's process group gets, so that stopping or
// killing spaceletd leaves the container served and its exit recorded; the agent re-adopts it
// from the state file. Single-threaded.
//
//   agent ──spawn──> monitor ──spawn──> runtime create ──> container init (reparented to the
//                      │                runtime start       monitor: PR_SET_CHILD_SUBREAPER)
//                      ├── state file: starting → running → exited | failed
//                      └── ready fd:   one JSON line when running or failed
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "agent/monitor/log_writer.h"
#include "agent/monitor/monitor_options.h"
#include "agent/monitor/monitor_state.h"
#include "agent/monitor/oom.h"
#include "agent/process/spawn.h"
#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::monitor {

class Monitor {
 public:
  explicit Monitor(MonitorOptions options) : options_(std::move(options)) {}
  // Runs the container's whole life; returns the process exit code for main().
  int run();

 private:
  Result<void> prepare();
  Result<void> createContainer();
  Result<void> startContainer();
  void watchOomCounter();
  void announce();
  Result<void> superviseUntilExit();
  void handleChildren();
  void drainOutput(std::chrono::milliseconds budget);
  void pumpOutput();
  void recordExit(int status);
  void recordFailure(const Error& error);
  void deleteContainer();
  Result<process::ExitStatus> runRuntime(std::vector<std::string> command,
                                         std::chrono::seconds timeout);
  void log(std::string_view line);
  void saveState();

  MonitorOptions options_;
  MonitorState state_;
  std::optional<LogWriter> log_;
  LineSplitter splitter_{options_.logLimits.maxLineBytes};
  UniqueFd outputRead_;
  UniqueFd outputWrite_;
  UniqueFd signals_;
  std::optional<MemoryCgroup> memoryCgroup_;
  uint64_t oomKillsAtStart_ = 0;
  bool exited_ = false;
};

}  // namespace spacelet::agent::monitor
