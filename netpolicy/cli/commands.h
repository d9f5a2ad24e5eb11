// The subcommands of spacelet-net. main.cc parses the global options and picks one; each
// command parses its own arguments, calls the library and prints. Errors are returned, and
// main prints them once.
#pragma once

#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/netpolicy/config.h"

namespace spacelet::netpolicy::cli {

struct Invocation {
  Config config;
  bool json = false;
  std::vector<std::string> args;  // after the command name
};

Result<void> runCheck(const Invocation& inv);
Result<void> runRuleset(const Invocation& inv);
Result<void> runShow(const Invocation& inv);
Result<void> runAttach(const Invocation& inv);
Result<void> runDetach(const Invocation& inv);
Result<void> runRelease(const Invocation& inv);
Result<void> runReconcile(const Invocation& inv);
Result<void> runOverride(const Invocation& inv);
Result<void> runPublish(const Invocation& inv);
Result<void> runUnpublish(const Invocation& inv);

}  // namespace spacelet::netpolicy::cli
