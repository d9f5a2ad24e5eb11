// The container's root mount (see rootfs.h). pivot_root(".", ".") stacks the old root on
// the new one, which is then detached: see pivot_root(2), "new_root and put_old may be the
// same directory".
#include "sandbox/linux/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/linux/in_root.h"
#include "sandbox/linux/mounts.h"

namespace spacelet::sandbox::linux {

StepError prepareRootfs(const RootfsPlan& plan, int* rootFd) {
  unsigned long propagation = plan.hostPropagation ? plan.hostPropagation : (MS_SLAVE | MS_REC);
  if (::mount(nullptr, "/", nullptr, propagation, nullptr) != 0) {
    return stepFail("make / stop propagating to the host (mount --make-rslave /)");
  }
  // A recursive bind of the rootfs onto itself, through fds (open_tree + move_mount), so the
  // root of a user namespace needs no search permission on the host path. The tree fd then
  // names the attached mount: the new root.
  const char* root = plan.rootfs.c_str();
  int tree = ::open_tree(plan.rootfsFd, "",
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0) return stepFail("clone the rootfs tree", root);
  if (::move_mount(tree, "", plan.rootfsFd, "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    int err = errno;
    ::close(tree);
    return stepFail("bind mount rootfs onto itself", root, err);
  }
  *rootFd = tree;
  return stepOk();
}

StepError enterRootfs(const RootfsPlan& plan, int rootFd) {
  if (::fchdir(rootFd) != 0) return stepFail("enter rootfs", plan.rootfs.c_str());
  if (plan.noPivot) {
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) {
      return stepFail("move rootfs to / (--no-pivot)", plan.rootfs.c_str());
    }
    if (::chroot(".") != 0) return stepFail("chroot into rootfs", plan.rootfs.c_str());
  } else {
    if (::syscall(SYS_pivot_root, ".", ".") != 0) {
      return stepFail("pivot_root into rootfs", plan.rootfs.c_str());
    }
    // The old root now sits on top of "." (umount2 follows it; mount(2) on "." would not,
    // and would change the new root's tree instead). Its mounts are already rslave or
    // rprivate since prepareRootfs, so detaching them cannot reach the host.
    if (::umount2(".", MNT_DETACH) != 0) return stepFail("detach the old root");
  }
  if (::chdir("/") != 0) return stepFail("chdir to the new root");
  return stepOk();
}

StepError finishRootfs(const RootfsPlan& plan) {
  if (plan.readonly) {
    int fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return stepFail("open the new root");
    StepError err = setMountAttributes(fd, MOUNT_ATTR_RDONLY, 0, false, "/ (root.readonly)");
    ::close(fd);
    SPACELET_STEP(err);
  }
  if (plan.rootPropagation != 0 &&
      ::mount(nullptr, "/", nullptr, plan.rootPropagation, nullptr) != 0) {
    return stepFail("set linux.rootfsPropagation on", "/");
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
