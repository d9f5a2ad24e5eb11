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

// After a mount, the destination names the new mount; reopen it to change its attributes.
StepError finishMount(int rootFd, const MountStep& step) {
  if (step.attrSet == 0 && step.attrClr == 0 && step.recAttrSet == 0 && step.recAttrClr == 0 &&
      step.propagation == 0) {
    return stepOk();
  }
  FdGuard mounted;
  mounted.fd = openInRoot(rootFd, step.destination.c_str(), O_PATH);
  if (mounted.fd < 0) return stepFail("reopen mount", step.destination.c_str(), -mounted.fd);
  const char* name = step.destination.c_str();
  if (step.kind == MountKind::kBind) {
    SPACELET_STEP(setMountAttributes(mounted.fd, step.attrSet, step.attrClr, false, name));
  }
  SPACELET_STEP(setMountAttributes(mounted.fd, step.recAttrSet, step.recAttrClr, true, name));
  if (step.propagation != 0) {
    char path[32];
    if (::mount(nullptr, procFdPath(mounted.fd, path), nullptr, step.propagation, nullptr) != 0) {
      return stepFail("set mount propagation of", name);
    }
  }
  return stepOk();
}

StepError bindMount(int rootFd, const MountStep& step) {
  FdGuard target;
  SPACELET_STEP(openTarget(rootFd, step, target));
  char path[32];
  unsigned long flags = MS_BIND | (step.recursive ? MS_REC : 0);
  if (::mount(step.source.c_str(), procFdPath(target.fd, path), nullptr, flags, nullptr) != 0) {
    return stepFail("bind mount", step.source.c_str());
  }
  return finishMount(rootFd, step);
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
