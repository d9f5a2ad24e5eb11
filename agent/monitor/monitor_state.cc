// MonitorState's JSON form and its atomic file (see monitor_state.h).
#include "agent/monitor/monitor_state.h"

#include <fcntl.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::monitor {
namespace {

constexpr std::pair<Phase, std::string_view> kPhases[] = {
    {Phase::kStarting, "starting"},
    {Phase::kRunning, "running"},
    {Phase::kExited, "exited"},
    {Phase::kFailed, "failed"},
};

std::optional<Phase> parsePhase(std::string_view name) {
  for (auto [phase, text] : kPhases) {
    if (text == name) return phase;
  }
  return std::nullopt;
}

}  // namespace

std::string_view phaseName(Phase phase) {
  for (auto [p, text] : kPhases) {
    if (p == phase) return text;
  }
  return "starting";
}

std::string toJson(const MonitorState& s) {
  nlohmann::json j = {{"phase", phaseName(s.phase)},
                      {"container_id", s.containerId},
                      {"monitor_pid", s.monitorPid},
                      {"monitor_start_time", s.monitorStartTime},
                      {"pid", s.pid},
                      {"started_at_ms", s.startedAtMs},
                      {"exited_at_ms", s.exitedAtMs},
                      {"signaled", s.signaled},
                      {"exit_value", s.exitValue},
                      {"oom_killed", s.oomKilled},
                      {"error", s.error}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<MonitorState> fromJson(std::string_view text) {
  try {
    auto j = nlohmann::json::parse(text);
    MonitorState s;
    auto phase = parsePhase(j.at("phase").get<std::string>());
    if (!phase) return failInvalid("unknown phase '" + j.at("phase").get<std::string>() + "'");
    s.phase = *phase;
    s.containerId = j.at("container_id").get<std::string>();
    s.monitorPid = j.at("monitor_pid").get<pid_t>();
    s.monitorStartTime = j.at("monitor_start_time").get<uint64_t>();
    s.pid = j.at("pid").get<pid_t>();
    s.startedAtMs = j.at("started_at_ms").get<int64_t>();
    s.exitedAtMs = j.at("exited_at_ms").get<int64_t>();
    s.signaled = j.at("signaled").get<bool>();
    s.exitValue = j.at("exit_value").get<int>();
    s.oomKilled = j.at("oom_killed").get<bool>();
    s.error = j.at("error").get<std::string>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return failInvalid(std::string("monitor state: ") + e.what());
  }
}

Result<void> writeState(const std::string& path, const MonitorState& state) {
  return writeFileAtomicAt(AT_FDCWD, path, toJson(state), 0640);
}

Result<MonitorState> readState(const std::string& path) {
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) return fail(std::move(text).error());
  auto state = fromJson(*text);
  if (!state) return fail(std::move(state).error().withContext("read '" + path + "'"));
  return state;
}

std::optional<ProcStat> parseProcStat(std::string_view line) {
  // "pid (comm) state ppid ..." — comm ends at the last ')'; field 3 follows it.
  auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  ProcStat stat;
  int field = 2;
  size_t pos = 0;
  while (pos < rest.size()) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = std::min(rest.find(' ', pos), rest.size());
    if (pos >= end) break;
    std::string_view word = rest.substr(pos, end - pos);
    if (++field == 3) stat.state = word[0];
    if (field == 22) {
      if (word.find_first_not_of("0123456789\n") != std::string_view::npos) return std::nullopt;
      for (char c : word) {
        if (c != '\n') stat.startTime = stat.startTime * 10 + static_cast<uint64_t>(c - '0');
      }
      return stat;
    }
    pos = end;
  }
  return std::nullopt;
}

std::optional<ProcStat> readProcStat(pid_t pid, const std::string& procRoot) {
  auto text = readFileAt(AT_FDCWD, procRoot + "/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  return parseProcStat(*text);
}

bool monitorAlive(const MonitorState& state, const std::string& procRoot) {
  if (state.monitorPid <= 0) return false;
  auto stat = readProcStat(state.monitorPid, procRoot);
  return stat && stat->state != 'Z' && stat->startTime == state.monitorStartTime;
}

}  // namespace spacelet::agent::monitor
