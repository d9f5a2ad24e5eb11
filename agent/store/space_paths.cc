// Per-Space directories and the log line format (see space_paths.h).
#include "agent/store/space_paths.h"

#include <fcntl.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/store/clock.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::store {

std::string_view logKindName(LogKind kind) {
  return kind == LogKind::kBuild ? "build" : "run";
}

std::string spaceDir(const std::string& stateDir, const SpaceId& id) {
  return stateDir + "/spaces/" + id.author + "/" + id.name;
}

std::string logsDir(const std::string& stateDir, const SpaceId& id) {
  return spaceDir(stateDir, id) + "/logs";
}

std::string logFileName(LogKind kind) {
  return std::string(logKindName(kind)) + ".log";
}

std::string logPath(const std::string& stateDir, const SpaceId& id, LogKind kind) {
  return logsDir(stateDir, id) + "/" + logFileName(kind);
}

std::string formatLogLine(int64_t timeMs, std::string_view text) {
  nlohmann::json line = {{"timestamp", formatTimestamp(timeMs)}, {"data", std::string(text)}};
  // Invalid UTF-8 from an app's output is replaced rather than making the line unwritable.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<void> appendLogLine(const std::string& path, int64_t timeMs, std::string_view text) {
  auto fd = openAt(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT, 0640);
  if (!fd) return fail(std::move(fd).error());
  return writeAll(fd->get(), formatLogLine(timeMs, text));
}

Result<void> createSpaceDirs(const std::string& stateDir, const SpaceId& id) {
  std::error_code ec;
  std::filesystem::create_directories(logsDir(stateDir, id), ec);
  if (ec) return fail(Error{ec.value(), "create '" + logsDir(stateDir, id) + "': " + ec.message()});
  return {};
}

Result<void> removeSpaceDirs(const std::string& stateDir, const SpaceId& id) {
  std::error_code ec;
  // remove_all does not follow symlinks: a link inside the directory is removed, not its target.
  std::filesystem::remove_all(spaceDir(stateDir, id), ec);
  if (ec)
    return fail(Error{ec.value(), "remove '" + spaceDir(stateDir, id) + "': " + ec.message()});
  std::filesystem::remove(stateDir + "/spaces/" + id.author, ec);  // only when now empty
  return {};
}

}  // namespace spacelet::agent::store
