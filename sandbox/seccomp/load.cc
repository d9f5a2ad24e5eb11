// load(): installs a compiled filter with the raw seccomp(2) syscall. It runs in the
// container's init after clone, so it allocates nothing, takes no locks and never throws.
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp {

int load(const CompiledFilter& filter) noexcept {
  // The kernel copies the program during the call; it only reads through this pointer.
  struct sock_fprog prog = {
      static_cast<unsigned short>(filter.program.size()),
      const_cast<struct sock_filter*>(filter.program.data()),
  };
  // seccomp(2): with SECCOMP_FILTER_FLAG_NEW_LISTENER the result is a close-on-exec
  // listener fd; without it, 0.
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter.flags, &prog);
  if (rc < 0) return -errno;
  return filter.usesNotify ? static_cast<int>(rc) : 0;
}

}  // namespace spacelet::sandbox::seccomp
