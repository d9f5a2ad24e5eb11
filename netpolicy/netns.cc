// Creating, entering and removing network namespaces (see netns.h).
#include "netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>

namespace spacelet::netpolicy {
namespace {

// Runs fn on a fresh thread after unshare(CLONE_NEWNET); the namespace lives as long as the
// thread (or a mount or socket made inside it).
Result<void> onNewNetnsThread(const std::function<Result<void>()>& fn) {
  std::optional<Result<void>> result;
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result.emplace(failErrno(errno, "create a network namespace (unshare)"));
      return;
    }
    result.emplace(fn());
  });
  worker.join();
  return std::move(*result);
}

}  // namespace

Result<void> runInScratchNetns(const std::function<Result<void>()>& fn) {
  return onNewNetnsThread(fn);
}

Result<void> prepareNetnsDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return failErrno(ec.value(), "create the namespace directory '" + dir + "'");
  if (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return {};
  if (errno != EINVAL) return failErrno(errno, "make '" + dir + "' a shared mount");
  // Not a mount point yet: bind it onto itself first.
  if (::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) {
    return failErrno(errno, "bind-mount '" + dir + "' onto itself");
  }
  if (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    return failErrno(errno, "make '" + dir + "' a shared mount");
  }
  return {};
}

Result<void> createNetnsAt(const std::string& path, const std::function<Result<void>()>& inside) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return failErrno(errno, "create the namespace file '" + path + "'");
  ::close(fd);
  auto result = onNewNetnsThread([&]() -> Result<void> {
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
      return failErrno(errno, "bind-mount the new network namespace at '" + path + "'");
    }
    return inside();
  });
  if (!result) (void)removeNetnsAt(path);
  return result;
}

bool isNetnsFile(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

Result<void> removeNetnsAt(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return failErrno(errno, "unmount the namespace file '" + path + "'");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return failErrno(errno, "delete the namespace file '" + path + "'");
  }
  return {};
}

}  // namespace spacelet::netpolicy
