// Masked and read-only paths (see masked_paths.h).
#include "sandbox/linux/masked_paths.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/linux/in_root.h"
#include "sandbox/linux/mounts.h"

namespace spacelet::sandbox::linux {
namespace {

struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

// A detached, read-only, empty tmpfs.
StepError emptyTmpfs(FdGuard& mountFd, const char* subject) {
  FdGuard fs;
  fs.fd = ::fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs.fd < 0) return stepFail("fsopen tmpfs to mask", subject);
  if (::fsconfig(fs.fd, FSCONFIG_SET_STRING, "size", "0", 0) != 0 ||
      ::fsconfig(fs.fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return stepFail("create tmpfs to mask", subject);
  }
  mountFd.fd = ::fsmount(fs.fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
  if (mountFd.fd < 0) return stepFail("fsmount tmpfs to mask", subject);
  return stepOk();
}

StepError attach(int fromFd, int targetFd, const char* subject) {
  if (::move_mount(fromFd, "", targetFd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0) {
    return stepFail("mount over", subject);
  }
  return stepOk();
}

StepError maskOne(int rootFd, const char* path) {
  FdGuard target;
  target.fd = openInRoot(rootFd, path, O_PATH);
  if (target.fd == -ENOENT) return stepOk();
  if (target.fd < 0) return stepFail("open masked path", path, -target.fd);
  struct stat st {};
  if (::fstat(target.fd, &st) != 0) return stepFail("stat masked path", path);
  FdGuard cover;
  if (S_ISDIR(st.st_mode)) {
    SPACELET_STEP(emptyTmpfs(cover, path));
  } else {
    cover.fd = ::open_tree(rootFd, "dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (cover.fd < 0) return stepFail("bind /dev/null to mask", path);
  }
  return attach(cover.fd, target.fd, path);
}

StepError readonlyOne(int rootFd, const char* path) {
  FdGuard target;
  target.fd = openInRoot(rootFd, path, O_PATH);
  if (target.fd == -ENOENT) return stepOk();
  if (target.fd < 0) return stepFail("open read-only path", path, -target.fd);
  FdGuard tree;
  tree.fd = ::open_tree(target.fd, "",
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree.fd < 0) return stepFail("bind read-only path", path);
  SPACELET_STEP(setMountAttributes(tree.fd, MOUNT_ATTR_RDONLY, 0, true, path));
  return attach(tree.fd, target.fd, path);
}

}  // namespace

StepError maskPaths(const std::vector<std::string>& paths) {
  FdGuard root;
  root.fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root.fd < 0) return stepFail("open the container root");
  for (const auto& path : paths) SPACELET_STEP(maskOne(root.fd, path.c_str()));
  return stepOk();
}

StepError makeReadonlyPaths(const std::vector<std::string>& paths) {
  FdGuard root;
  root.fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root.fd < 0) return stepFail("open the container root");
  for (const auto& path : paths) SPACELET_STEP(readonlyOne(root.fd, path.c_str()));
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
