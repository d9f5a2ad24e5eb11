// Confined path operations inside a rootfs (see in_root.h).
#include "sandbox/linux/in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstring>

namespace spacelet::sandbox::linux {

int openInRoot(int rootFd, const char* path, int flags, mode_t mode) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // The rootfs itself for "/" or "": openat2 wants a non-empty path.
  const char* p = (path[0] == '\0') ? "." : path;
  for (;;) {
    long fd = ::syscall(SYS_openat2, rootFd, p, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // EAGAIN: a concurrent rename raced the lookup (openat2(2)); retry.
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
}

StepError mkdirAllInRoot(int rootFd, const char* path, mode_t mode, int* out) {
  char buf[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof buf) return stepFail("path too long", path, ENAMETOOLONG);
  std::memcpy(buf, path, len + 1);
  int parent = openInRoot(rootFd, "/", O_PATH | O_DIRECTORY);
  if (parent < 0) return stepFail("open rootfs", path, -parent);
  size_t start = 0;
  while (start < len) {
    while (start < len && buf[start] == '/') ++start;
    if (start >= len) break;
    size_t end = start;
    while (end < len && buf[end] != '/') ++end;
    char saved = buf[end];
    buf[end] = '\0';
    // buf[start..end) is the next component; mkdir it under the confined parent.
    if (::mkdirat(parent, buf + start, mode) != 0 && errno != EEXIST) {
      int err = errno;
      ::close(parent);
      return stepFail("create directory", path, err);
    }
    int next = openInRoot(rootFd, buf, O_PATH | O_DIRECTORY);
    buf[end] = saved;
    ::close(parent);
    if (next < 0) return stepFail("open directory", path, -next);
    parent = next;
    start = end;
  }
  *out = parent;
  return stepOk();
}

StepError ensureFileInRoot(int rootFd, const char* path, int* out) {
  char parentPath[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof parentPath) return stepFail("path too long", path, ENAMETOOLONG);
  std::memcpy(parentPath, path, len + 1);
  char* slash = std::strrchr(parentPath, '/');
  if (slash != nullptr) *slash = '\0';
  int parent = -1;
  SPACELET_STEP(mkdirAllInRoot(rootFd, parentPath, 0755, &parent));
  ::close(parent);
  int fd = openInRoot(rootFd, path, O_RDONLY | O_CREAT | O_NOCTTY, 0644);
  if (fd < 0 && fd != -EISDIR) return stepFail("create file", path, -fd);
  if (fd >= 0) ::close(fd);
  fd = openInRoot(rootFd, path, O_PATH);
  if (fd < 0) return stepFail("open", path, -fd);
  *out = fd;
  return stepOk();
}

const char* procFdPath(int fd, char* buf) {
  static const char kPrefix[] = "/proc/self/fd/";
  std::memcpy(buf, kPrefix, sizeof kPrefix - 1);
  char digits[16];
  int n = 0;
  unsigned value = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  size_t pos = sizeof kPrefix - 1;
  while (n > 0) buf[pos++] = digits[--n];
  buf[pos] = '\0';
  return buf;
}

}  // namespace spacelet::sandbox::linux
