// spacelet-monitor: the per-container monitor spaceletd starts for every container it runs
// (see monitor.h). Errors go to stderr, which the agent points at a file or /dev/null.
#include <string>
#include <vector>

#include "agent/monitor/monitor.h"
#include "spacelet/base/log.h"

int main(int argc, char** argv) {
  using namespace spacelet;
  log::configure(log::Sink{2, log::Format::kText, log::Level::kInfo, "spacelet-monitor"});
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(agent::monitor::usage().c_str(), stdout);
    return 0;
  }
  auto options = agent::monitor::parseOptions(args);
  if (!options) {
    log::error(options.error().message);
    return 2;
  }
  return agent::monitor::Monitor(std::move(*options)).run();
}
