// spaceletd: the spacelet node agent. Parses its few options, loads the configuration, sets up
// the log sink (the one process-wide setting) and runs the Daemon. See docs/operations.md.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "agent/config/load.h"
#include "agent/daemon/daemon.h"
#include "agent/supervisor/node.h"
#include "spacelet/base/log.h"

namespace {

constexpr const char* kUsage =
    "Usage: spaceletd [--config FILE] [--check-config] [--print-default-config] [--version]\n"
    "\n"
    "The spacelet node agent: serves the /v1 API on a Unix socket and owns every Space on this\n"
    "node. Usually started by systemd (spaceletd.service, spaceletd.socket).\n"
    "\n"
    "  --config FILE           configuration file (default /etc/spacelet/config.yaml; when that\n"
    "                          file is missing, every default applies)\n"
    "  --check-config          validate the configuration and exit (0: valid)\n"
    "  --print-default-config  print the default configuration, with comments, and exit\n"
    "  --version               print the version and exit\n"
    "\n"
    "Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT stop the agent cleanly\n"
    "(Spaces keep running). Exit status: 0 after a clean stop, 1 when it cannot start, 2 for\n"
    "a usage error.\n";

struct Options {
  std::string config = spacelet::agent::config::kDefaultConfigPath;
  bool configGiven = false;
  bool check = false;
};

void logLines(spacelet::log::Level level, const std::string& text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    spacelet::log::write(level, text.substr(start, nl - start));
    start = nl + 1;
  }
}

spacelet::log::Level levelFrom(const std::string& name) {
  using spacelet::log::Level;
  if (name == "debug") return Level::kDebug;
  if (name == "warning") return Level::kWarning;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}

}  // namespace

int main(int argc, char** argv) {
  namespace log = spacelet::log;
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the agent
  log::configure({2, log::Format::kText, log::Level::kInfo, "spaceletd"});
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      options.config = argv[++i];
      options.configGiven = true;
    } else if (arg.starts_with("--config=")) {
      options.config = arg.substr(9);
      options.configGiven = true;
    } else if (arg == "--check-config") {
      options.check = true;
    } else if (arg == "--print-default-config") {
      std::cout << spacelet::agent::config::renderConfig({});
      return 0;
    } else if (arg == "--version") {
      std::cout << "spaceletd " << SPACELET_VERSION << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "spaceletd: unknown option '" << arg << "'\n\n" << kUsage;
      return 2;
    }
  }
  auto config = spacelet::agent::config::loadConfigFile(options.config, !options.configGiven);
  if (!config) {
    logLines(log::Level::kError, config.error().message);
    return 1;
  }
  if (options.check) {
    std::cout << "config '" << options.config << "' is valid\n";
    return 0;
  }
  log::configure({2, config->logs.format == "json" ? log::Format::kJson : log::Format::kText,
                  levelFrom(config->logs.level), "spaceletd"});
  const char* credentials = ::getenv("CREDENTIALS_DIRECTORY");
  spacelet::agent::daemon::DaemonOptions daemonOptions{
      options.config,   options.configGiven, credentials ? credentials : "",
      "/sys/fs/cgroup", SPACELET_VERSION,    nullptr};
  // The supervisor of Spaces from git makes Spaces real (repositories, builds, containers).
  daemonOptions.lifecycle = [](const spacelet::agent::daemon::LifecycleContext& ctx) {
    return spacelet::agent::supervisor::openSupervisor(
        {ctx.config, ctx.loop, ctx.registry, "/sys/fs/cgroup", spacelet::agent::supervisor::exeDir()});
  };
  auto daemon =
      spacelet::agent::daemon::Daemon::create(std::move(daemonOptions), std::move(*config));
  if (!daemon) {
    logLines(log::Level::kError, daemon.error().message);
    return 1;
  }
  auto status = (*daemon)->run();
  if (!status) {
    logLines(log::Level::kError, status.error().message);
    return 1;
  }
  log::info("stopped");
  return 0;
}
