// Capability sets (see capabilities.h).
#include "sandbox/linux/capabilities.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

#include "sandbox/spec/names.h"

namespace spacelet::sandbox::linux {

spec::Capabilities clampCapabilities(const spec::Capabilities& caps, int lastCap) {
  uint64_t mask = lastCap >= 63 ? ~uint64_t{0} : (uint64_t{1} << (lastCap + 1)) - 1;
  return {caps.bounding & mask, caps.effective & mask, caps.inheritable & mask,
          caps.permitted & mask, caps.ambient & mask};
}

int kernelLastCapability() {
  int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return spec::lastCapability();
  char buf[16] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  int value = n > 0 ? std::atoi(buf) : 0;
  return value > 0 ? value : spec::lastCapability();
}

StepError dropBoundingSet(uint64_t bounding, int lastCap) {
  for (int cap = 0; cap <= lastCap; ++cap) {
    if ((bounding >> cap) & 1) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return stepFail("drop capability from the bounding set");
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return stepFail("set PR_SET_KEEPCAPS");
  return stepOk();
}

StepError applyCapabilitySets(const spec::Capabilities& caps, int lastCap) {
  struct __user_cap_header_struct header {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  struct __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) != 0) return stepFail("set capabilities (capset)");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return stepFail("clear the ambient capability set");
  }
  for (int cap = 0; cap <= lastCap; ++cap) {
    if (((caps.ambient >> cap) & 1) &&
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return stepFail("raise ambient capability");
    }
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
