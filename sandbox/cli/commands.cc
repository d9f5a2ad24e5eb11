// The command table and the shared reporting helpers (see commands.h).
#include "sandbox/cli/commands.h"

#include <unistd.h>

#include <cstdio>

#include "spacelet/base/log.h"

namespace spacelet::sandbox::cli {
namespace {

constexpr Command kCommands[] = {
    {"create", "create a container from a bundle; it waits for start", runCreate},
    {"start", "start a created container", runStart},
    {"state", "print a container's OCI state", runState},
    {"kill", "send a signal to a container's init (or all its processes)", runKill},
    {"delete", "delete a container", runDelete},
    {"run", "create and start a container", runRun},
    {"exec", "run another process in a running container", runExec},
    {"list", "list containers", runList},
    {"ps", "list a container's processes", runPs},
    {"pause", "freeze every process of a container", runPause},
    {"resume", "thaw a paused container", runResume},
    {"update", "change a container's cgroup limits", runUpdate},
    {"features", "print the features this runtime supports", runFeatures},
    {"spec", "write a default config.json", runSpec},
};

}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

const Command* findCommand(std::string_view name) {
  for (const auto& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int reportError(const Error& error) {
  log::error(error.message);
  // With --log the sink is the log file; people still read stderr.
  if (log::sink().fd != 2) std::fprintf(stderr, "spacelet-run: %s\n", error.message.c_str());
  return 1;
}

int helpIfAsked(const Args& args, std::string_view text, bool flagsFirst) {
  for (const auto& arg : args) {
    if (arg == "--" || (flagsFirst && (arg.empty() || arg[0] != '-'))) break;
    if (arg == "-h" || arg == "--help") {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
  }
  return -1;
}

Result<std::string> parseId(const Args& args, std::string_view command) {
  std::vector<std::string> positional;
  for (const auto& a : args) {
    if (a.size() > 1 && a[0] == '-') {
      return failInvalid("unknown flag '" + a + "' for '" + std::string(command) + "'");
    }
    positional.push_back(a);
  }
  if (positional.size() != 1) {
    // Appended, not chained with operator+: g++ 12 at -O3 reports a false -Wrestrict on
    // "literal" + std::string&& (GCC PR 105651).
    std::string message = "'";
    message.append(command).append("' takes exactly one container id (usage: spacelet-run ");
    message.append(command).append(" ID)");
    return failInvalid(message);
  }
  return positional[0];
}

}  // namespace spacelet::sandbox::cli
