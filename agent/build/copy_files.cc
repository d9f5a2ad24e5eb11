// COPY/ADD file copying (see copy_files.h).
#include "agent/build/copy_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "agent/image/fs_util.h"

namespace spacelet::agent::build {
namespace {

Result<UniqueFd> openat2InRoot(int rootFd, const std::string& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  size_t skip = path.find_first_not_of('/');
  std::string rel = skip == std::string::npos ? std::string(".") : path.substr(skip);
  int fd = static_cast<int>(::syscall(SYS_openat2, rootFd, rel.c_str(), &how, sizeof how));
  if (fd < 0) return failErrno(errno, "open '" + path + "' in the image");
  return UniqueFd(fd);
}

Result<void> setOwner(int fd, const char* name, const CopyOptions& o, int flags) {
  if (::fchownat(fd, name, o.uid + o.hostShift, o.gid + o.hostShift, flags) != 0) {
    return failErrno(errno, "chown");
  }
  return {};
}

std::vector<std::string> sortedNames(int dirFd) {
  std::vector<std::string> names;
  int fd = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return names;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), ::closedir);
  if (!dir) {
    ::close(fd);
    return names;
  }
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> copyData(int from, int to) {
  for (;;) {
    ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
    if (n == 0) return {};
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return failErrno(errno, "copy");
    }
    break;  // COMPAT: filesystems without copy_file_range support; plain read/write
  }
  char buf[128 << 10];
  ssize_t n;
  while ((n = ::read(from, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return failErrno(errno, "write");
      off += w;
    }
  }
  if (n < 0) return failErrno(errno, "read");
  return {};
}

Result<void> copyFile(int srcFd, const struct stat& st, int dstDirFd, const std::string& name,
                      const CopyOptions& o) {
  struct stat existing {};
  if (::fstatat(dstDirFd, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    SPACELET_TRY(image::removeTreeAt(dstDirFd, name));
  }
  int fd =
      ::openat(dstDirFd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return failErrno(errno, "create '" + name + "'");
  UniqueFd out(fd);
  SPACELET_TRY(copyData(srcFd, out.get()));
  SPACELET_TRY(setOwner(out.get(), "", o, AT_EMPTY_PATH));
  ::fchmod(out.get(), o.chmod.value_or(st.st_mode & 07777));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ::futimens(out.get(), times);
  return {};
}

Result<void> copySymlink(int srcDirFd, const std::string& srcName, int dstDirFd,
                         const std::string& name, const CopyOptions& o) {
  char target[4096];
  ssize_t n = ::readlinkat(srcDirFd, srcName.c_str(), target, sizeof target - 1);
  if (n < 0) return failErrno(errno, "readlink '" + srcName + "'");
  target[n] = '\0';
  SPACELET_TRY(image::removeTreeAt(dstDirFd, name));
  if (::symlinkat(target, dstDirFd, name.c_str()) != 0) return failErrno(errno, "symlink");
  return setOwner(dstDirFd, name.c_str(), o, AT_SYMLINK_NOFOLLOW);
}

Result<UniqueFd> makeDir(int dstDirFd, const std::string& name, mode_t mode, const CopyOptions& o) {
  struct stat existing {};
  bool exists = ::fstatat(dstDirFd, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !S_ISDIR(existing.st_mode)) SPACELET_TRY(image::removeTreeAt(dstDirFd, name));
  if ((!exists || !S_ISDIR(existing.st_mode)) && ::mkdirat(dstDirFd, name.c_str(), mode) != 0) {
    return failErrno(errno, "mkdir '" + name + "'");
  }
  int fd = ::openat(dstDirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return failErrno(errno, "open '" + name + "'");
  UniqueFd dir(fd);
  SPACELET_TRY(setOwner(dir.get(), "", o, AT_EMPTY_PATH));
  ::fchmod(dir.get(), o.chmod.value_or(mode));
  return dir;
}

}  // namespace

Result<UniqueFd> openInRoot(int rootFd, const std::string& path) {
  return openat2InRoot(rootFd, path, O_RDONLY);
}

Result<UniqueFd> openDirInRoot(int rootFd, const std::string& path, bool create,
                               const CopyOptions& options) {
  auto dir = openat2InRoot(rootFd, "/", O_RDONLY | O_DIRECTORY);
  if (!dir) return dir;
  std::string walked;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    walked.push_back('/');
    walked += part;
    auto next = openat2InRoot(rootFd, walked, O_RDONLY | O_DIRECTORY);
    if (!next && next.error().code == ENOENT && create) {
      if (::mkdirat(dir->get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
        return failErrno(errno, "create directory '" + walked + "' in the image");
      }
      SPACELET_TRY(setOwner(dir->get(), part.c_str(), options, AT_SYMLINK_NOFOLLOW));
      next = openat2InRoot(rootFd, walked, O_RDONLY | O_DIRECTORY);
    }
    if (!next) return next;
    dir = std::move(next);
  }
  return dir;
}

Result<void> copyTree(int srcFd, const std::string& srcRel, int dstDirFd, const std::string& name,
                      const CopyOptions& o) {
  struct stat st {};
  if (::fstat(srcFd, &st) != 0) return failErrno(errno, "stat '" + srcRel + "'");
  if (!S_ISDIR(st.st_mode)) {
    if (!S_ISREG(st.st_mode)) return failInvalid("'" + srcRel + "' is not a file or directory");
    return copyFile(srcFd, st, dstDirFd, name, o);
  }
  auto dst = name.empty() ? Result<UniqueFd>(UniqueFd(::fcntl(dstDirFd, F_DUPFD_CLOEXEC, 0)))
                          : makeDir(dstDirFd, name, st.st_mode & 07777, o);
  if (!dst) return fail(std::move(dst).error());
  for (const auto& child : sortedNames(srcFd)) {
    std::string rel = srcRel.empty() ? child : srcRel + "/" + child;
    if (o.skip && o.skip(rel)) continue;
    struct stat cst {};
    if (::fstatat(srcFd, child.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0) {
      return failErrno(errno, "stat '" + rel + "'");
    }
    if (S_ISLNK(cst.st_mode)) {
      SPACELET_TRY(copySymlink(srcFd, child, dst->get(), child, o));
      continue;
    }
    if (!S_ISDIR(cst.st_mode) && !S_ISREG(cst.st_mode)) continue;  // sockets, fifos, devices
    int fd = ::openat(srcFd, child.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return failErrno(errno, "open '" + rel + "'");
    UniqueFd childFd(fd);
    SPACELET_TRY(copyTree(childFd.get(), rel, dst->get(), child, o));
  }
  return {};
}

}  // namespace spacelet::agent::build
