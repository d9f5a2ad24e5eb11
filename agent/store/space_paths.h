// Where a Space's files live under the state directory, and the format of its log files:
//   <state_dir>/spaces/<author>/<name>/            the Space's own directory
//   <state_dir>/spaces/<author>/<name>/logs/build.log, run.log   the current logs
// Log files hold one JSON object per line, {"timestamp": RFC 3339, "data": the text}, the shape
// Hugging Face's log API streams. Writers (the supervisor and the builder) append whole lines
// with one write(2) each and rotate by renaming the file to <name>.1 and creating a new one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/store/space.h"
#include "spacelet/base/error.h"

namespace spacelet::agent::store {

enum class LogKind { kBuild, kRun };

std::string_view logKindName(LogKind kind);  // "build", "run"
std::string spaceDir(const std::string& stateDir, const SpaceId& id);
std::string logsDir(const std::string& stateDir, const SpaceId& id);
std::string logFileName(LogKind kind);  // "build.log", "run.log"
std::string logPath(const std::string& stateDir, const SpaceId& id, LogKind kind);

// One log line as stored: {"timestamp":"...","data":"..."}\n (text without its newline).
std::string formatLogLine(int64_t timeMs, std::string_view text);

// Appends one line with a single write to an O_APPEND file (creating it 0640).
Result<void> appendLogLine(const std::string& path, int64_t timeMs, std::string_view text);

Result<void> createSpaceDirs(const std::string& stateDir, const SpaceId& id);
// Removes the Space's directory and everything in it (never following symlinks out of it).
Result<void> removeSpaceDirs(const std::string& stateDir, const SpaceId& id);

}  // namespace spacelet::agent::store
