// spacelet-probe entry point: dispatches a subcommand and prints its JSON result.
// Usage: spacelet-probe [report] | open PATH [r|w|rw] | read PATH | write PATH DATA | stat PATH
//        | syscall NAME | connect HOST PORT [tcp|udp] [TIMEOUT_MS] | hog-memory MIB
//        | spin SECONDS | fork-bomb [MAX] | fork-hold [MAX] | exit CODE | sleep SECONDS | cgroup | clock
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "probe.h"

using spacelet::probe::Args;

int main(int argc, char** argv) {
  Args args(argv + 1, argv + argc);
  std::string command = args.empty() ? "report" : args.front();
  if (!args.empty()) args.erase(args.begin());
  if (command == "exit") return args.empty() ? 0 : std::atoi(args[0].c_str());
  if (command == "sleep") {
    ::sleep(args.empty() ? 3600 : static_cast<unsigned>(std::atoi(args[0].c_str())));
    return 0;
  }
  static const std::map<std::string, std::function<nlohmann::json(const Args&)>> commands = {
      {"report", spacelet::probe::report},       {"open", spacelet::probe::openPath},
      {"read", spacelet::probe::readPath},       {"write", spacelet::probe::writePath},
      {"stat", spacelet::probe::statPath},       {"syscall", spacelet::probe::trySyscall},
      {"connect", spacelet::probe::connectTo},   {"hog-memory", spacelet::probe::hogMemory},
      {"spin", spacelet::probe::spin},           {"fork-bomb", spacelet::probe::forkBomb},
      {"fork-hold", spacelet::probe::forkHold},
      {"cgroup", spacelet::probe::cgroupLimits},
      {"clock", spacelet::probe::clocks},
  };
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::fprintf(stderr, "spacelet-probe: unknown command '%s'\n", command.c_str());
    return 2;
  }
  std::string out = it->second(args).dump() + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
