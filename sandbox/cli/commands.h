// spacelet-run's commands: for each, a pure parse function (tested without root) and a run
// function that calls the container library and reports errors. One file per command.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/container/container.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::cli {

using Args = std::vector<std::string>;

struct Context {
  container::GlobalOptions global;
};

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Context& context, const Args& args);
};
std::span<const Command> commands();
const Command* findCommand(std::string_view name);

// Logs the error once (to --log when given) and echoes it on stderr; returns exit code 1.
int reportError(const Error& error);
// Prints usage and returns 0 when args ask for help (-h/--help), else returns -1.
// `flagsFirst`: only look before the first positional argument (exec, ps).
int helpIfAsked(const Args& args, std::string_view text, bool flagsFirst = false);

// Parsing, one per command (the container id is always the first positional argument).
Result<container::CreateOptions> parseCreate(const Args& args);
Result<container::RunOptions> parseRun(const Args& args);
Result<std::string> parseId(const Args& args, std::string_view command);
struct KillArgs {
  std::string id;
  int signal = 15;
  bool all = false;
};
Result<KillArgs> parseKill(const Args& args);
struct DeleteArgs {
  std::string id;
  bool force = false;
};
Result<DeleteArgs> parseDelete(const Args& args);
Result<container::ExecOptions> parseExec(const Args& args);
struct ListArgs {
  std::string format = "table";
  bool quiet = false;
};
Result<ListArgs> parseList(const Args& args);
struct PsArgs {
  std::string id;
  std::string format = "table";
  std::vector<std::string> psArgs;  // passed to ps(1); default -ef
};
Result<PsArgs> parsePs(const Args& args);
struct UpdateArgs {
  std::string id;
  std::string resourcesFile;                    // --resources FILE or "-"
  spec::Json resources = spec::Json::object();  // from the individual flags
};
Result<UpdateArgs> parseUpdate(const Args& args);
struct SpecArgs {
  std::string bundle = ".";
  bool rootless = false;
};
Result<SpecArgs> parseSpec(const Args& args);

int runCreate(const Context& context, const Args& args);
int runStart(const Context& context, const Args& args);
int runState(const Context& context, const Args& args);
int runKill(const Context& context, const Args& args);
int runDelete(const Context& context, const Args& args);
int runRun(const Context& context, const Args& args);
int runExec(const Context& context, const Args& args);
int runList(const Context& context, const Args& args);
int runPs(const Context& context, const Args& args);
int runPause(const Context& context, const Args& args);
int runResume(const Context& context, const Args& args);
int runUpdate(const Context& context, const Args& args);
int runFeatures(const Context& context, const Args& args);
int runSpec(const Context& context, const Args& args);

}  // namespace spacelet::sandbox::cli
