// Mount steps applied in the child (see mounts.h).
#include "sandbox/linux/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "sandbox/linux/in_root.h"

namespace spacelet::sandbox::linux {
namespace {

// Owns one fd inside the child; the child cannot use UniqueFd's moves across steps freely,
// but a scope guard is just as safe and allocation-free.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

StepError openTarget(int rootFd, const MountStep& step, FdGuard& target) {
  if (step.sourceIsFile) return ensureFileInRoot(rootFd, step.destination.c_str(), &target.fd);
  return mkdirAllInRoot(rootFd, step.destination.c_str(), 0755, &target.fd);
}

// A propagation change (MS_SHARED, MS_SLAVE, ...) on the mount at fd.
StepError setPropagation(int fd, unsigned long propagation, const char* subject) {
  if (propagation == 0) return stepOk();
  struct mount_attr attr {};
  attr.propagation = propagation & ~static_cast<unsigned long>(MS_REC);
  unsigned flags = AT_EMPTY_PATH | ((propagation & MS_REC) ? AT_RECURSIVE : 0);
  if (::mount_setattr(fd, "", flags, &attr, sizeof attr) != 0) {
    return stepFail("set mount propagation of", subject);
  }
  return stepOk();
}

// After mount(2), the destination names the new mount; reopen it for the recursive
// attributes and propagation.
StepError finishMount(int rootFd, const MountStep& step) {
  if (step.recAttrSet == 0 && step.recAttrClr == 0 && step.propagation == 0) return stepOk();
  FdGuard mounted;
  mounted.fd = openInRoot(rootFd, step.destination.c_str(), O_PATH);
  if (mounted.fd < 0) return stepFail("reopen mount", step.destination.c_str(), -mounted.fd);
  const char* name = step.destination.c_str();
  SPACELET_STEP(setMountAttributes(mounted.fd, step.recAttrSet, step.recAttrClr, true, name));
  return setPropagation(mounted.fd, step.propagation, name);
}

// open_tree(2) clones the source tree from its fd, mount_setattr(2) sets the flags on the
// detached copy, and move_mount(2) attaches it on the target fd: no path is walked here.
StepError bindMount(int rootFd, const MountStep& step) {
  FdGuard target, tree;
  SPACELET_STEP(openTarget(rootFd, step, target));
  unsigned flags =
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (step.recursive ? AT_RECURSIVE : 0);
  tree.fd = ::open_tree(step.sourceFd, "", flags);
  if (tree.fd < 0) return stepFail("clone bind source", step.source.c_str());
  const char* name = step.destination.c_str();
  SPACELET_STEP(setMountAttributes(tree.fd, step.attrSet, step.attrClr, false, name));
  SPACELET_STEP(setMountAttributes(tree.fd, step.recAttrSet, step.recAttrClr, true, name));
  if (::move_mount(tree.fd, "", target.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0) {
    return stepFail("bind mount", step.source.c_str());
  }
  return setPropagation(tree.fd, step.propagation, name);
}

// COMPAT: in a user namespace that does not own the network namespace, sysfs cannot be
// mounted fresh (EPERM); bind the host's /sys read-only instead, as runc does.
StepError sysfsFallback(int rootFd, const MountStep& step, int targetFd) {
  char path[32];
  if (::mount("/sys", procFdPath(targetFd, path), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return stepFail("bind mount /sys (fallback for sysfs) on", step.destination.c_str());
  }
  FdGuard mounted;
  mounted.fd = openInRoot(rootFd, step.destination.c_str(), O_PATH);
  if (mounted.fd < 0) return stepFail("reopen mount", step.destination.c_str(), -mounted.fd);
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                   (step.readonly() ? MOUNT_ATTR_RDONLY : 0);
  return setMountAttributes(mounted.fd, attrs, 0, true, step.destination.c_str());
}

StepError filesystemMount(int rootFd, const MountStep& step, bool inUserNs) {
  FdGuard target;
  SPACELET_STEP(openTarget(rootFd, step, target));
  char path[32];
  const char* data = step.data.empty() ? nullptr : step.data.c_str();
  if (::mount(step.source.c_str(), procFdPath(target.fd, path), step.type.c_str(), step.flags,
              data) != 0) {
    if (errno == EPERM && inUserNs && step.type == "sysfs") {
      return sysfsFallback(rootFd, step, target.fd);
    }
    return stepFail("mount filesystem on", step.destination.c_str());
  }
  return finishMount(rootFd, step);
}

}  // namespace

StepError setMountAttributes(int fd, uint64_t set, uint64_t clear, bool recursive,
                             const char* subject) {
  if (set == 0 && clear == 0) return stepOk();
  struct mount_attr attr {};
  attr.attr_set = set;
  attr.attr_clr = clear;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(fd, "", flags, &attr, sizeof attr) != 0) {
    return stepFail("change mount attributes (ro/nosuid/nodev/noexec/atime) of", subject);
  }
  return stepOk();
}

StepError applyMount(int rootFd, const MountStep& step, const CgroupMountPlan& cgroups,
                     bool inUserNs) {
  switch (step.kind) {
    case MountKind::kBind:
      return bindMount(rootFd, step);
    case MountKind::kFilesystem:
      return filesystemMount(rootFd, step, inUserNs);
    case MountKind::kCgroup:
      return mountCgroups(rootFd, step, cgroups);
  }
  return stepOk();
}

}  // namespace spacelet::sandbox::linux
