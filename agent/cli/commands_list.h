// The command groups that make up spacectl's command table (commands.cc).
#pragma once

#include <vector>

#include "agent/cli/command.h"

namespace spacelet::agent::cli {

std::vector<Command> spaceCommands();   // info, create, list, runtime, delete
std::vector<Command> actionCommands();  // restart, pause, resume, hardware, sleep-time
std::vector<Command> gitCommands();     // repo, notify, deployments, rollback
std::vector<Command> valueCommands();   // secret set|ls|rm, var set|ls|rm
std::vector<Command> streamCommands();  // logs, events, wait
std::vector<Command> imageCommands();   // image import|ls|rm|prune|bootstrap
std::vector<Command> gpuCommands();     // gpu generate-cdi

// Shared by the commands that print a Space: its runtime as "key: value" lines.
void printRuntime(std::ostream& out, const nlohmann::json& space);

}  // namespace spacelet::agent::cli
