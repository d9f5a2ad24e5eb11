// sysctl writes (see sysctl.h).
#include "sandbox/linux/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

namespace spacelet::sandbox::linux {

std::vector<SysctlWrite> planSysctl(const std::map<std::string, std::string>& sysctl) {
  std::vector<SysctlWrite> writes;
  for (const auto& [key, value] : sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = sizeof "/proc/sys/" - 1; i < path.size(); ++i) {
      if (path[i] == '.') path[i] = '/';
    }
    writes.push_back({path, value});
  }
  return writes;
}

StepError applySysctl(const std::vector<SysctlWrite>& writes) {
  for (const auto& w : writes) {
    int fd = ::open(w.path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return stepFail("open sysctl", w.path.c_str());
    ssize_t n = ::write(fd, w.value.data(), w.value.size());
    int err = errno;
    ::close(fd);
    if (n < 0) return stepFail("write sysctl", w.path.c_str(), err);
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
