// The state directory (see store.h).
#include "sandbox/state/store.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>

#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::state {
namespace {

Result<void> mkdirAll(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return failErrno(errno, "create state directory '" + prefix + "'");
    }
  }
  return {};
}

Result<void> lock(int fd, bool exclusive, const std::string& id) {
  if (::flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
    return failErrno(errno, "lock container '" + id + "'");
  }
  return {};
}

}  // namespace

Result<Store> Store::open(const std::string& root) {
  SPACELET_TRY(mkdirAll(root));
  auto fd = openAt(AT_FDCWD, root, O_RDONLY | O_DIRECTORY);
  if (!fd) return fail(std::move(fd).error().withContext("open state root (--root)"));
  return Store(root, std::move(*fd));
}

Result<UniqueFd> Store::reserve(const std::string& id) const {
  SPACELET_TRY(validateId(id));
  if (::mkdirat(rootFd_.get(), id.c_str(), 0711) != 0) {
    if (errno == EEXIST) {
      return failErrno(EEXIST, "container '" + id + "' already exists (pick another id, or " +
                                   "remove it with 'spacelet-run delete " + id + "')");
    }
    return failErrno(errno, "create state directory '" + root_ + "/" + id + "'");
  }
  auto fd = openAt(rootFd_.get(), id, O_RDONLY | O_DIRECTORY);
  if (!fd) return fd;
  SPACELET_TRY(lock(fd->get(), true, id));
  return fd;
}

Result<UniqueFd> Store::openContainer(const std::string& id, bool exclusive) const {
  SPACELET_TRY(validateId(id));
  int fd = ::openat(rootFd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return failErrno(ENOENT, "container '" + id + "' does not exist (see 'spacelet-run list')");
    }
    return failErrno(errno, "open state of container '" + id + "'");
  }
  UniqueFd dir(fd);
  SPACELET_TRY(lock(dir.get(), exclusive, id));
  return dir;
}

void Store::unlock(int dirFd) {
  ::flock(dirFd, LOCK_UN);
}

Result<void> Store::relock(int dirFd, const std::string& id) {
  return lock(dirFd, true, id);
}

Result<void> Store::remove(const std::string& id) const {
  SPACELET_TRY(validateId(id));
  for (const char* name :
       {kStateFile, kConfigFile, kExecFifo, "state.json.tmp", "config.json.tmp"}) {
    std::string path = id + "/" + name;
    if (::unlinkat(rootFd_.get(), path.c_str(), 0) != 0 && errno != ENOENT) {
      return failErrno(errno, "remove '" + root_ + "/" + path + "'");
    }
  }
  if (::unlinkat(rootFd_.get(), id.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return failErrno(errno, "remove state directory '" + root_ + "/" + id + "'");
  }
  return {};
}

Result<std::vector<std::string>> Store::list() const {
  auto dup = rootFd_.dup();
  if (!dup) return fail(std::move(dup).error());
  DIR* dir = ::fdopendir(dup->release());
  if (dir == nullptr) return failErrno(errno, "list '" + root_ + "'");
  std::vector<std::string> ids;
  ::rewinddir(dir);
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || !validateId(name)) continue;
    if (entry->d_type == DT_DIR || entry->d_type == DT_UNKNOWN) ids.push_back(name);
  }
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<void> replaceFileAt(int dirFd, const std::string& name, std::string_view data, mode_t mode) {
  std::string tmp = name + ".tmp";
  auto fd = openAt(dirFd, tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (!fd) return fail(std::move(fd).error());
  SPACELET_TRY_CONTEXT(writeAll(fd->get(), data), "write '" + tmp + "'");
  if (::renameat(dirFd, tmp.c_str(), dirFd, name.c_str()) != 0) {
    return failErrno(errno, "rename '" + tmp + "' to '" + name + "'");
  }
  return {};
}

Result<void> Store::save(int dirFd, const ContainerState& state) {
  return replaceFileAt(dirFd, kStateFile, toJson(state).dump(), 0600);
}

Result<void> Store::saveConfig(int dirFd, std::string_view configText) {
  return replaceFileAt(dirFd, kConfigFile, configText, 0600);
}

Result<ContainerState> Store::load(int dirFd) {
  auto text = readFileAt(dirFd, kStateFile);
  if (!text) return fail(std::move(text).error());
  auto json = spec::parseJson(*text, kStateFile);
  if (!json) return fail(std::move(json).error());
  return fromJson(*json);
}

bool Store::exists(int dirFd, const char* name) {
  struct stat st {};
  return ::fstatat(dirFd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace spacelet::sandbox::state
