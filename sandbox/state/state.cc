// Container state serialisation, status derivation and id rules (see state.h).
#include "sandbox/state/state.h"

#include <time.h>

#include <cstdio>

namespace spacelet::sandbox::state {

using spec::Json;

std::string_view statusName(Status status) {
  switch (status) {
    case Status::kCreating:
      return "creating";
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kPaused:
      return "paused";
    case Status::kStopped:
      return "stopped";
  }
  return "unknown";
}

Json toJson(const ContainerState& s) {
  Json j = {{"id", s.id},
            {"pid", s.pid},
            {"pidStartTime", s.pidStartTime},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"created", s.created},
            {"owner", s.owner},
            {"cgroupPath", s.cgroupPath},
            {"systemdCgroup", s.systemdCgroup}};
  j["annotations"] = s.annotations;
  if (s.exitStatus) j["exitStatus"] = *s.exitStatus;
  return j;
}

Result<ContainerState> fromJson(const Json& j) {
  using spec::readField;
  ContainerState s;
  SPACELET_TRY(spec::requireObject(j, "state"));
  int64_t pid = 0;
  SPACELET_TRY(readField(j, "id", "state", spec::asString, s.id));
  SPACELET_TRY(readField(j, "pid", "state", spec::asInt64, pid));
  s.pid = static_cast<pid_t>(pid);
  SPACELET_TRY(readField(j, "pidStartTime", "state", spec::asUint64, s.pidStartTime));
  SPACELET_TRY(readField(j, "bundle", "state", spec::asString, s.bundle));
  SPACELET_TRY(readField(j, "rootfs", "state", spec::asString, s.rootfs));
  SPACELET_TRY(readField(j, "created", "state", spec::asString, s.created));
  SPACELET_TRY(readField(j, "owner", "state", spec::asUint32, s.owner));
  SPACELET_TRY(readField(j, "annotations", "state", spec::asStringMap, s.annotations));
  SPACELET_TRY(readField(j, "cgroupPath", "state", spec::asString, s.cgroupPath));
  SPACELET_TRY(readField(j, "systemdCgroup", "state", spec::asBool, s.systemdCgroup));
  if (const Json* exit = spec::member(j, "exitStatus")) {
    auto code = spec::asInt64(*exit, "state.exitStatus");
    if (!code) return fail(std::move(code).error());
    s.exitStatus = static_cast<int>(*code);
  }
  return s;
}

Json ociState(const ContainerState& s, Status status) {
  Json j = {
      {"ociVersion", "1.1.0"}, {"id", s.id},         {"status", statusName(status)}, {"pid", 0},
      {"bundle", s.bundle},    {"rootfs", s.rootfs}, {"created", s.created},         {"owner", ""}};
  // The spec requires pid while created or running (paused is its extension); hooks that
  // run while creating get it too, as with runc.
  if (status != Status::kStopped) j["pid"] = s.pid;
  j["annotations"] = s.annotations;
  if (status == Status::kStopped && s.exitStatus) j["exitStatus"] = *s.exitStatus;
  return j;
}

Status deriveStatus(const Observation& seen) {
  if (!seen.stateWritten) return Status::kCreating;
  if (!seen.initAlive) return Status::kStopped;
  if (seen.execFifoPresent) return Status::kCreated;
  if (seen.frozen) return Status::kPaused;
  return Status::kRunning;
}

Result<ProcStat> parseProcStat(std::string_view text) {
  // "pid (comm) S ppid ..." : comm ends at the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= text.size()) {
    return failInvalid("malformed /proc/<pid>/stat");
  }
  std::string_view rest = text.substr(close + 2);
  ProcStat out;
  out.state = rest[0];
  // After comm, the state is field 3; start time is field 22, i.e. the 20th from here.
  size_t pos = 0;
  for (int field = 3; field < 22; ++field) {
    pos = rest.find(' ', pos);
    if (pos == std::string_view::npos) return failInvalid("malformed /proc/<pid>/stat");
    ++pos;
  }
  uint64_t value = 0;
  for (; pos < rest.size() && rest[pos] >= '0' && rest[pos] <= '9'; ++pos) {
    value = value * 10 + static_cast<uint64_t>(rest[pos] - '0');
  }
  out.startTime = value;
  return out;
}

Result<void> validateId(const std::string& id) {
  if (id.empty()) return failInvalid("container id is empty; name the container");
  if (id.size() > 1024) return failInvalid("container id is longer than 1024 characters");
  if (id == "." || id == "..") return failInvalid("container id '" + id + "' is not allowed");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) {
      return failInvalid("container id '" + id +
                         "' may only contain letters, digits and _ + - . (no '/' or spaces)");
    }
  }
  return {};
}

std::string nowRfc3339() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

}  // namespace spacelet::sandbox::state
