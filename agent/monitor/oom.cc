// The container's memory cgroup and its OOM kill counter (see oom.h).
#include "agent/monitor/oom.h"

#include <fcntl.h>

#include <sstream>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::monitor {
namespace {

// "memory" is one of the comma-separated controllers of a v1 line.
bool hasMemoryController(std::string_view controllers) {
  size_t pos = 0;
  while (pos <= controllers.size()) {
    size_t comma = std::min(controllers.find(',', pos), controllers.size());
    if (controllers.substr(pos, comma - pos) == "memory") return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

std::string MemoryCgroup::countersFile(const std::string& cgroupRoot) const {
  if (v1) return cgroupRoot + "/memory" + path + "/memory.oom_control";
  return cgroupRoot + path + "/memory.events";
}

std::optional<MemoryCgroup> memoryCgroupOf(std::string_view text) {
  std::optional<MemoryCgroup> unified;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    // "hierarchy-id:controllers:path"; the path may itself hold ':'.
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string_view controllers = std::string_view(line).substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      unified = MemoryCgroup{false, path};
    } else if (hasMemoryController(controllers)) {
      return MemoryCgroup{true, path};
    }
  }
  return unified;
}

uint64_t parseOomKills(std::string_view text) {
  std::istringstream lines{std::string(text)};
  std::string key;
  uint64_t value = 0;
  while (lines >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return 0;
}

Result<MemoryCgroup> readMemoryCgroup(pid_t pid, const std::string& procRoot) {
  std::string file = procRoot + "/" + std::to_string(pid) + "/cgroup";
  auto text = readFileAt(AT_FDCWD, file);
  if (!text) return fail(std::move(text).error());
  auto cgroup = memoryCgroupOf(*text);
  if (!cgroup) return failInvalid("'" + file + "' names no memory cgroup");
  return *cgroup;
}

Result<uint64_t> readOomKills(const MemoryCgroup& cgroup, const std::string& cgroupRoot) {
  auto text = readFileAt(AT_FDCWD, cgroup.countersFile(cgroupRoot));
  if (!text) return fail(std::move(text).error());
  return parseOomKills(*text);
}

}  // namespace spacelet::agent::monitor
