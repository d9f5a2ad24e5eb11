// Opening host paths inside a child's mount namespace (see mount_sources.h).
#include "sandbox/linux/mount_sources.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace spacelet::sandbox::linux {

Result<std::vector<UniqueFd>> openInMountNamespaceOf(pid_t pid,
                                                     const std::vector<std::string>& paths) {
  std::string rootPath = "/proc/" + std::to_string(pid) + "/root";
  UniqueFd root(::open(rootPath.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return failErrno(errno, "open the container's mount namespace (" + rootPath + ")");
  std::vector<UniqueFd> fds;
  for (const auto& path : paths) {
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    long fd = ::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof how);
    if (fd < 0) return failErrno(errno, "open mount source '" + path + "'");
    fds.emplace_back(static_cast<int>(fd));
  }
  return fds;
}

}  // namespace spacelet::sandbox::linux
