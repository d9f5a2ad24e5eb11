// linux.sysctl: each key is written to /proc/sys/<key with '.' as '/'> inside the container,
// after /proc is mounted and the root switched, so it lands in the container's namespaces.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sandbox/linux/step_error.h"
#include "sandbox/spec/config.h"

namespace spacelet::sandbox::linux {

struct SysctlWrite {
  std::string path;   // "/proc/sys/net/ipv4/ip_forward"
  std::string value;  // written as is
};

// Pure: keys become /proc/sys paths.
std::vector<SysctlWrite> planSysctl(const std::map<std::string, std::string>& sysctl);

StepError applySysctl(const std::vector<SysctlWrite>& writes);

}  // namespace spacelet::sandbox::linux
