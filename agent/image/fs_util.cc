// Directory-fd helpers (see fs_util.h).
#include "agent/image/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "spacelet/base/file_io.h"

namespace spacelet::agent::image {
namespace {

using DirPtr = std::unique_ptr<DIR, int (*)(DIR*)>;

Result<DirPtr> openDirStream(int dirfd, const std::string& name) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return failErrno(errno, "open directory '" + name + "'");
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    int err = errno;
    ::close(fd);
    return failErrno(err, "read directory '" + name + "'");
  }
  return DirPtr(dir, ::closedir);
}

std::vector<std::string> entryNames(DIR* dir) {
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  return names;
}

}  // namespace

Result<UniqueFd> openDirBeneath(int dirfd, const std::string& rel, bool create) {
  auto cur = openAt(dirfd, ".", O_RDONLY | O_DIRECTORY);
  if (!cur) return cur;
  size_t start = 0;
  while (start < rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string part = rel.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return failInvalid("path '" + rel + "' contains '..'");
    int fd = ::openat(cur->get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur->get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
        return failErrno(errno, "create directory '" + part + "' of '" + rel + "'");
      }
      fd = ::openat(cur->get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int err = errno;
      if (err == ELOOP || err == ENOTDIR) {
        return fail(Error{err, "path '" + rel + "' goes through '" + part +
                                   "', which is not a directory (a symlink or a file)"});
      }
      return failErrno(err, "open '" + part + "' of '" + rel + "'");
    }
    *cur = UniqueFd(fd);
  }
  return cur;
}

Result<std::pair<UniqueFd, std::string>> openParentBeneath(int dirfd, const std::string& rel,
                                                           bool create) {
  size_t slash = rel.rfind('/');
  std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
  std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  auto fd = openDirBeneath(dirfd, parent, create);
  if (!fd) return fail(std::move(fd).error());
  return std::make_pair(std::move(*fd), name);
}

Result<void> removeTreeAt(int dirfd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return failErrno(errno, "stat '" + name + "'");
  }
  if (S_ISDIR(st.st_mode)) {
    auto dir = openDirStream(dirfd, name);
    if (!dir) return fail(std::move(dir).error());
    int fd = ::dirfd(dir->get());
    for (const auto& child : entryNames(dir->get())) {
      SPACELET_TRY_CONTEXT(removeTreeAt(fd, child), "remove '" + name + "'");
    }
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return failErrno(errno, "remove directory '" + name + "'");
    }
    return {};
  }
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return failErrno(errno, "remove '" + name + "'");
  }
  return {};
}

int64_t diskUsageAt(int dirfd) {
  struct stat self {};
  if (::fstat(dirfd, &self) != 0) return 0;
  auto dir = openDirStream(dirfd, ".");
  if (!dir) return 0;
  int64_t total = 0;
  int fd = ::dirfd(dir->get());
  for (const auto& name : entryNames(dir->get())) {
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    total += static_cast<int64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode) && st.st_dev == self.st_dev) {
      auto child = openAt(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (child) total += diskUsageAt(child->get());
    }
  }
  return total;
}

}  // namespace spacelet::agent::image
