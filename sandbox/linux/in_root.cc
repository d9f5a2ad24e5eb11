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

namespace {

constexpr int kMaxSymlinkHops = 40;  // as the kernel's path walk

// path[0..end) names a dangling symlink in `parent`: rewrites path as the link's target
// (relative links are taken from the link's directory) followed by the rest after `end`.
bool followDanglingLink(int parent, char* path, size_t start, size_t end) {
  char link[PATH_MAX], rest[PATH_MAX];
  char name[PATH_MAX];
  std::memcpy(name, path + start, end - start);
  name[end - start] = '\0';
  ssize_t n = ::readlinkat(parent, name, link, sizeof link - 1);
  if (n <= 0) return false;
  link[n] = '\0';
  std::strcpy(rest, path + end);
  size_t prefix = link[0] == '/' ? 0 : start;  // keep the link's directory for relative ones
  if (prefix + static_cast<size_t>(n) + std::strlen(rest) + 2 > PATH_MAX) return false;
  std::memcpy(path + prefix, link, static_cast<size_t>(n));
  std::strcpy(path + prefix + static_cast<size_t>(n), rest);
  return true;
}

}  // namespace

StepError mkdirAllInRoot(int rootFd, const char* path, mode_t mode, int* out) {
  char buf[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof buf) return stepFail("path too long", path, ENAMETOOLONG);
  std::memcpy(buf, path, len + 1);
  int parent = openInRoot(rootFd, "/", O_PATH | O_DIRECTORY);
  if (parent < 0) return stepFail("open rootfs", path, -parent);
  int hops = 0;
  for (size_t start = 0; start < std::strlen(buf);) {
    while (buf[start] == '/') ++start;
    if (buf[start] == '\0') break;
    size_t end = start;
    while (buf[end] != '\0' && buf[end] != '/') ++end;
    char saved = buf[end];
    buf[end] = '\0';
    // buf[start..end) is the next component; mkdir it under the confined parent.
    bool created = ::mkdirat(parent, buf + start, mode) == 0;
    int err = errno;
    int next = (created || err == EEXIST) ? openInRoot(rootFd, buf, O_PATH | O_DIRECTORY) : -err;
    buf[end] = saved;
    if (next == -ENOENT && ++hops <= kMaxSymlinkHops &&
        followDanglingLink(parent, buf, start, end)) {
      // A symlink to a missing directory: create its target (inside the root) instead.
      ::close(parent);
      parent = openInRoot(rootFd, "/", O_PATH | O_DIRECTORY);
      if (parent < 0) return stepFail("open rootfs", path, -parent);
      start = 0;
      continue;
    }
    ::close(parent);
    if (next < 0) return stepFail("create directory", path, -next);
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
