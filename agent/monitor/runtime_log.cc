// lastRuntimeError (see runtime_log.h).
#include "agent/monitor/runtime_log.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace spacelet::agent::monitor {

std::string lastRuntimeError(std::string_view logText) {
  std::istringstream lines{std::string(logText)};
  std::string line, lastError, lastLine;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    lastLine = line;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error" && j.contains("msg")) {
      lastError = j["msg"].is_string() ? j["msg"].get<std::string>() : j["msg"].dump();
    }
  }
  return lastError.empty() ? lastLine : lastError;
}

}  // namespace spacelet::agent::monitor
