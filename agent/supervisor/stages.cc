// Stage choices and the user-facing failure texts (see stages.h).
#include "agent/supervisor/stages.h"

#include <string.h>

#include <nlohmann/json.hpp>

#include "agent/config/units.h"

namespace spacelet::agent::supervisor {

Stage progressStage(Step step, bool serving) {
  if (step == Step::kBuild) return serving ? Stage::kRunningBuilding : Stage::kBuilding;
  return serving ? Stage::kRunningAppStarting : Stage::kAppStarting;
}

Stage failureStage(Failure failure) {
  switch (failure) {
    case Failure::kConfig:
      return Stage::kConfigError;
    case Failure::kNoAppFile:
      return Stage::kNoAppFile;
    case Failure::kBuild:
      return Stage::kBuildError;
    case Failure::kStart:
      return Stage::kRuntimeError;
  }
  return Stage::kRuntimeError;
}

Stage stageAfterFailure(Failure failure, bool serving) {
  return serving ? Stage::kRunning : failureStage(failure);
}

std::string exitReason(bool signaled, int value, bool oomKilled, int64_t memoryBytes) {
  if (oomKilled)
    return "Memory limit exceeded (" + config::formatBytes(static_cast<uint64_t>(memoryBytes)) +
           ")";
  if (!signaled) return "exit code " + std::to_string(value);
  const char* abbrev = ::sigabbrev_np(value);
  return "killed by signal " + std::to_string(value) +
         (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
}

std::vector<std::string> logTexts(const std::vector<std::string>& storedLines) {
  std::vector<std::string> out;
  for (const auto& line : storedLines) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("data") && j["data"].is_string()) {
      out.push_back(j["data"].get<std::string>());
    } else {
      out.push_back(line);
    }
  }
  return out;
}

std::string withLogTail(std::string_view what, const std::vector<std::string>& logLines) {
  std::string out(what);
  if (logLines.empty()) return out;
  out += "\n\nLast log lines:";
  for (const auto& line : logTexts(logLines)) out += "\n" + line;
  return out;
}

}  // namespace spacelet::agent::supervisor
