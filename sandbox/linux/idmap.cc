// User namespace id maps (see idmap.h).
#include "sandbox/linux/idmap.h"

#include <fcntl.h>

#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::linux {

std::string formatIdMap(const std::vector<spec::IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) {
    text += std::to_string(m.containerId) + " " + std::to_string(m.hostId) + " " +
            std::to_string(m.size) + "\n";
  }
  return text;
}

Result<void> writeIdMaps(pid_t pid, const std::string& uidMap, const std::string& gidMap) {
  std::string proc = "/proc/" + std::to_string(pid);
  SPACELET_TRY_CONTEXT(writeFileAt(AT_FDCWD, proc + "/uid_map", uidMap), "write linux.uidMappings");
  SPACELET_TRY_CONTEXT(writeFileAt(AT_FDCWD, proc + "/gid_map", gidMap), "write linux.gidMappings");
  return {};
}

}  // namespace spacelet::sandbox::linux
