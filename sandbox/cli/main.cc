// spacelet-run: an OCI runtime with runc's command line. Parses the global flags, fixes
// the log sink (the one process-wide setting), moves to a protected copy of its own binary
// before starting container processes, and dispatches to a command.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sandbox/cli/args.h"
#include "sandbox/cli/commands.h"
#include "sandbox/process/protected_exe.h"
#include "spacelet/base/log.h"

namespace {

using spacelet::sandbox::cli::FlagSpec;

constexpr FlagSpec kGlobalFlags[] = {
    {"root", "", true, "state directory (default /run/spacelet-run)"},
    {"log", "", true, "write log lines (and errors) to this file"},
    {"log-format", "", true, "text (default) or json"},
    {"systemd-cgroup", "", false, "place containers in systemd transient scopes"},
    {"debug", "", false, "log debug messages"},
    {"rootless", "", true, "accepted for runc compatibility (auto, true, false)"},
    {"criu", "", true, "accepted for runc compatibility; checkpointing is not supported"},
    {"help", "h", false, "show this help"},
    {"version", "v", false, "print the version"},
};

std::string globalUsage() {
  std::string text =
      spacelet::sandbox::cli::usage("[global options] COMMAND [options]", kGlobalFlags);
  text += "\nCommands:\n";
  for (const auto& c : spacelet::sandbox::cli::commands()) {
    text += "  " + std::string(c.name) + std::string(12 - c.name.size(), ' ') +
            std::string(c.summary) + "\n";
  }
  return text;
}

// Fixes the log sink from --log/--log-format/--debug. Returns false (after printing why)
// when the log file cannot be opened.
bool configureLog(const spacelet::sandbox::cli::ParsedArgs& globals) {
  namespace log = spacelet::log;
  log::Sink sink;
  sink.program = "spacelet-run";
  sink.format = globals.value("log-format") == "json" ? log::Format::kJson : log::Format::kText;
  sink.minimum = globals.flag("debug") ? log::Level::kDebug : log::Level::kInfo;
  if (globals.has("log")) {
    std::string path = globals.value("log");
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "spacelet-run: cannot open --log '%s'\n", path.c_str());
      return false;
    }
    sink.fd = fd;  // kept open for the life of the process
  }
  log::configure(sink);
  return true;
}

bool startsContainerProcesses(const std::string& command) {
  return command == "create" || command == "run" || command == "exec";
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  using namespace spacelet::sandbox::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto globals = parseFlags(args, kGlobalFlags, false);
  if (!globals) {
    std::fprintf(stderr, "spacelet-run: %s\n", globals.error().message.c_str());
    return 2;
  }
  if (globals->flag("version")) return std::printf("spacelet-run version 0.1.0\nspec: 1.1.0\n") < 0;
  if (globals->flag("help") || globals->positional.empty()) {
    std::fputs(globalUsage().c_str(),
               globals->positional.empty() && !globals->flag("help") ? stderr : stdout);
    return globals->flag("help") ? 0 : 2;
  }
  if (!configureLog(*globals)) return 1;
  const std::string& name = globals->positional[0];
  const Command* command = findCommand(name);
  if (command == nullptr) {
    return reportError(spacelet::Error::invalid("unknown command '" + name + "' (see --help)"));
  }
  if (startsContainerProcesses(name) && !spacelet::sandbox::process::exeIsProtected()) {
    return reportError(spacelet::sandbox::process::reexecProtected(argv, envp));
  }
  // Hooks and ps may exit before reading what we write to them.
  ::signal(SIGPIPE, SIG_IGN);
  Context context;
  context.global.root = globals->value("root", context.global.root);
  context.global.systemdCgroup = globals->flag("systemd-cgroup");
  return command->run(context, {globals->positional.begin() + 1, globals->positional.end()});
}
