// Command-line parsing for spacectl: global options, the command (one or two words), then the
// command's own options and positionals, checked against its Command entry.
#pragma once

#include <string>
#include <vector>

#include "agent/cli/command.h"

namespace spacelet::agent::cli {

struct Invocation {
  std::string socket;
  bool json = false;
  bool help = false;  // --help (global or for the command)
  const Command* command = nullptr;
  std::string group;  // "secret" for `spacectl secret --help`
  ParsedArgs args;
};

// Parses argv (without argv[0]). Errors are usage errors with a message saying what to fix.
Result<Invocation> parseCommandLine(const std::vector<std::string>& argv,
                                    std::string defaultSocket);

std::string globalHelp();
std::string commandHelp(const Command& command);
std::string groupHelp(const std::string& group);

}  // namespace spacelet::agent::cli
