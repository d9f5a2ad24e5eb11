// What every spacectl command is made of: its usage, help text and options (so --help and
// bash completion come from one table), the context it runs in (client, --json, output
// streams), the documented exit codes, and helpers to report an HTTP error the agent returned.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "agent/cli/client.h"

namespace spacelet::agent::cli {

// spacectl's exit codes (also in `spacectl --help` and docs/operations.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the agent refused the request (400, 5xx) or something else failed
  kExitUsage = 2,        // bad command line
  kExitNotFound = 3,     // 404: no such Space, secret or variable
  kExitForbidden = 4,    // 403: not root and not in the agent's group
  kExitUnreachable = 5,  // the agent's socket does not answer
  kExitConflict = 6,     // 409: already exists, being deleted, not paused, a limit reached
  kExitTimedOut = 7,     // wait: the stage was not reached in time
  kExitStageError = 8,   // wait: the Space ended in an error stage, or was deleted
};

struct OptionSpec {
  std::string name;       // "--sdk"
  std::string shortName;  // "-f", or ""
  std::string valueName;  // "S" when the option takes a value, "" for a flag
  std::string description;
};

struct ParsedArgs {
  std::vector<std::string> positionals;
  std::map<std::string, std::string> options;  // by long name; flags map to ""
  bool has(const std::string& name) const { return options.contains(name); }
  std::string get(const std::string& name, const std::string& fallback = "") const;
};

struct Context {
  Client& client;
  bool json = false;
  std::ostream& out;
  std::ostream& err;
  std::function<std::string(const std::string& prompt)> readSecret;  // stdin or a no-echo prompt
};

struct Command {
  std::string name;  // "secret set"
  std::string args;  // "ID KEY"
  std::string summary;
  std::string details;
  std::vector<OptionSpec> options;
  size_t minPositionals = 0;
  size_t maxPositionals = 0;
  std::function<int(Context&, const ParsedArgs&)> run;
};

// Every command, in the order `spacectl --help` lists them.
const std::vector<Command>& commands();

// Prints the agent's {"error": ...} message and returns the exit code for the status.
int reportHttpError(Context& ctx, const HttpResult& result);
// Prints a transport error (agent unreachable, timeout) and returns its exit code.
int reportError(Context& ctx, const Error& error);
// "/v1/spaces/<author>/<name>" with each part escaped; the agent validates them.
std::string spacePath(const std::string& id);
// Sends a request; on success prints the body with --json, else calls human(body).
int simpleRequest(Context& ctx, const std::string& method, const std::string& path,
                  const std::string& body, const std::function<void(const nlohmann::json&)>& human);

}  // namespace spacelet::agent::cli
