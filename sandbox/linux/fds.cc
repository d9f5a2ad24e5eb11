// Inherited fds and the working directory (see fds.h).
#include "sandbox/linux/fds.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "sandbox/linux/in_root.h"

namespace spacelet::sandbox::linux {

StepError limitInheritedFds(int preserveFds) {
  for (int fd = 3; fd < 3 + preserveFds; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) return stepFail("inspect a --preserve-fds fd");
    if (::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) return stepFail("keep a --preserve-fds fd");
  }
  unsigned first = static_cast<unsigned>(3 + preserveFds);
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    return stepFail("mark inherited fds close-on-exec");
  }
  return stepOk();
}

StepError enterWorkingDirectory(const char* cwd) {
  int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return stepFail("open the container root");
  int dir = -1;
  StepError err = mkdirAllInRoot(root, cwd, 0755, &dir);
  ::close(root);
  if (err.failed()) return stepFail("resolve process.cwd inside the container", cwd, err.code);
  int rc = ::fchdir(dir);
  int saved = errno;
  ::close(dir);
  if (rc != 0) return stepFail("enter process.cwd", cwd, saved);
  // The kernel prefixes "(unreachable)" when the cwd is outside the process's root.
  char buf[PATH_MAX];
  long n = ::syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0) return stepFail("check process.cwd", cwd);
  if (buf[0] != '/') return stepFail("process.cwd resolves outside the container", cwd, EPERM);
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
