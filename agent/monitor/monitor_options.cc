// Command-line parsing for spacelet-monitor (see monitor_options.h).
#include "agent/monitor/monitor_options.h"

#include <functional>
#include <map>

#include "agent/config/units.h"

namespace spacelet::agent::monitor {
namespace {

using Setter = std::function<Result<void>(MonitorOptions&, const std::string&)>;

Setter text(std::string MonitorOptions::*field) {
  return [field](MonitorOptions& o, const std::string& v) -> Result<void> {
    o.*field = v;
    return {};
  };
}

Result<int64_t> number(const std::string& flag, const std::string& value, int64_t min) {
  auto n = config::parseInteger(value);
  if (!n || *n < min) {
    return failInvalid(flag + ": '" + value + "' is not a whole number of at least " +
                       std::to_string(min));
  }
  return *n;
}

// A size ("4Ki", "1Mi") of at least `min` (`minText` says it in the message).
Result<uint64_t> size(const std::string& flag, const std::string& value, uint64_t min,
                      const std::string& minText) {
  auto bytes = config::parseBytes(value);
  if (!bytes || *bytes < min) {
    return failInvalid(flag + ": '" + value + "' must be a size of at least " + minText);
  }
  return *bytes;
}

const std::map<std::string, Setter>& flagTable() {
  static const std::map<std::string, Setter> table = {
      {"--runtime", text(&MonitorOptions::runtime)},
      {"--id", text(&MonitorOptions::containerId)},
      {"--bundle", text(&MonitorOptions::bundle)},
      {"--state", text(&MonitorOptions::stateFile)},
      {"--runtime-log", text(&MonitorOptions::runtimeLog)},
      {"--log", text(&MonitorOptions::logFile)},
      {"--cgroup-root", text(&MonitorOptions::cgroupRoot)},
      {"--proc-root", text(&MonitorOptions::procRoot)},
      {"--runtime-arg",
       [](MonitorOptions& o, const std::string& v) -> Result<void> {
         o.runtimeArgs.push_back(v);
         return {};
       }},
      {"--log-max-bytes",
       [](MonitorOptions& o, const std::string& v) -> Result<void> {
         auto bytes = size("--log-max-bytes", v, 4096, "4Ki");
         if (!bytes) return fail(std::move(bytes).error());
         o.logLimits.maxBytes = *bytes;
         return {};
       }},
      {"--log-keep",
       [](MonitorOptions& o, const std::string& v) -> Result<void> {
         auto n = number("--log-keep", v, 0);
         if (!n) return fail(std::move(n).error());
         o.logLimits.keep = static_cast<int>(*n);
         return {};
       }},
      {"--log-max-line-bytes",
       [](MonitorOptions& o, const std::string& v) -> Result<void> {
         auto bytes = size("--log-max-line-bytes", v, 256, "256");
         if (!bytes) return fail(std::move(bytes).error());
         o.logLimits.maxLineBytes = *bytes;
         return {};
       }},
      {"--ready-fd",
       [](MonitorOptions& o, const std::string& v) -> Result<void> {
         auto n = number("--ready-fd", v, 3);
         if (!n) return fail(std::move(n).error());
         o.readyFd = static_cast<int>(*n);
         return {};
       }},
  };
  return table;
}

Result<void> checkRequired(const MonitorOptions& o) {
  const std::pair<const char*, const std::string*> required[] = {{"--runtime", &o.runtime},
                                                                 {"--id", &o.containerId},
                                                                 {"--bundle", &o.bundle},
                                                                 {"--state", &o.stateFile},
                                                                 {"--log", &o.logFile}};
  for (auto [flag, value] : required) {
    if (value->empty()) return failInvalid(std::string(flag) + " is required\n" + usage());
  }
  return {};
}

}  // namespace

std::string usage() {
  return "usage: spacelet-monitor --runtime PATH [--runtime-arg ARG]... --id ID --bundle DIR\n"
         "         --state FILE --log FILE [--runtime-log FILE] [--log-max-bytes SIZE]\n"
         "         [--log-keep N] [--log-max-line-bytes SIZE] [--cgroup-root DIR] [--proc-root "
         "DIR] [--ready-fd FD]\n"
         "         [--no-delete]\n"
         "Creates and starts the container with the runtime, keeps its output in a rotated log,\n"
         "records its exit (and OOM kills) in FILE, then deletes it. Started by spaceletd.\n";
}

Result<MonitorOptions> parseOptions(const std::vector<std::string>& args) {
  MonitorOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--no-delete") {
      o.deleteOnExit = false;
      continue;
    }
    auto flag = flagTable().find(args[i]);
    if (flag == flagTable().end()) {
      return failInvalid("unknown option '" + args[i] + "'\n" + usage());
    }
    if (i + 1 >= args.size()) return failInvalid(args[i] + " needs a value\n" + usage());
    SPACELET_TRY(flag->second(o, args[++i]));
  }
  SPACELET_TRY(checkRequired(o));
  if (o.runtimeLog.empty()) o.runtimeLog = o.stateFile + ".runtime";
  return o;
}

}  // namespace spacelet::agent::monitor
