// The container's /sys/fs/cgroup (see cgroup_mount.h).
#include "sandbox/linux/cgroup_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <sstream>

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

// Options of a v1 cgroup mount that are not controllers.
bool isControllerOption(const std::string& option) {
  static const char* const kNotControllers[] = {
      "rw",          "ro", "xattr", "noprefix", "clone_children", "nsdelegate", "cpuset_v2_mode",
      "favordynmods"};
  for (const char* word : kNotControllers) {
    if (option == word) return false;
  }
  return option.rfind("release_agent=", 0) != 0;
}

std::string controllersOf(const std::string& superOptions) {
  std::string key;
  std::stringstream in(superOptions);
  for (std::string option; std::getline(in, option, ',');) {
    if (!isControllerOption(option)) continue;
    if (!key.empty()) key += ',';
    key += option;
  }
  return key;
}

CgroupHierarchy hierarchyOf(const std::string& point, const std::string& root,
                            const std::string& key) {
  CgroupHierarchy h{point, root, key, point.substr(point.rfind('/') + 1), {}};
  if (h.name.find(',') != std::string::npos) {
    std::stringstream in(h.name);
    for (std::string alias; std::getline(in, alias, ',');) h.aliases.push_back(alias);
  }
  return h;
}

// Joins a, b and c into out (PATH_MAX); false when too long.
bool joinPath(char* out, const char* a, const char* b, const char* c) {
  size_t la = std::strlen(a), lb = std::strlen(b), lc = std::strlen(c);
  if (la + lb + lc + 1 > PATH_MAX) return false;
  std::memcpy(out, a, la);
  std::memcpy(out + la, b, lb);
  std::memcpy(out + la + lb, c, lc + 1);
  return true;
}

// The host path of the container's cgroup in hierarchy h, into out (PATH_MAX).
StepError hostSourceFor(const CgroupHierarchy& h, const CgroupMountPlan& plan, char* out) {
  char path[PATH_MAX];
  if (!cgroupPathFor(plan.selfCgroup.data(), h.key.c_str(), path, sizeof path)) {
    return stepFail("find the container's cgroup for hierarchy", h.hostMount.c_str(), ENOENT);
  }
  const char* relative = path;
  size_t rootLen = h.hostRoot.size();
  if (h.hostRoot != "/" && std::strncmp(path, h.hostRoot.c_str(), rootLen) == 0) {
    relative = path + rootLen;
  }
  if (!joinPath(out, h.hostMount.c_str(), relative, "")) {
    return stepFail("cgroup path too long for", h.hostMount.c_str(), ENAMETOOLONG);
  }
  return stepOk();
}

StepError bindHierarchy(int rootFd, const MountStep& step, const CgroupHierarchy& h,
                        const CgroupMountPlan& plan, const char* subdir) {
  char source[PATH_MAX], target[PATH_MAX];
  SPACELET_STEP(hostSourceFor(h, plan, source));
  if (!joinPath(target, step.destination.c_str(), subdir[0] ? "/" : "", subdir)) {
    return stepFail("cgroup mount path too long", step.destination.c_str(), ENAMETOOLONG);
  }
  FdGuard dir;
  SPACELET_STEP(mkdirAllInRoot(rootFd, target, 0755, &dir.fd));
  char fdPath[32];
  if (::mount(source, procFdPath(dir.fd, fdPath), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return stepFail("bind mount cgroup", source);
  }
  FdGuard mounted;
  mounted.fd = openInRoot(rootFd, target, O_PATH);
  if (mounted.fd < 0) return stepFail("reopen cgroup mount", target, -mounted.fd);
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                   (step.readonly() ? MOUNT_ATTR_RDONLY : 0);
  return setMountAttributes(mounted.fd, attrs, 0, true, target);
}

StepError mountUnified(int rootFd, const MountStep& step, const CgroupMountPlan& plan) {
  if (!plan.namespaced) return bindHierarchy(rootFd, step, plan.hierarchies[0], plan, "");
  FdGuard dir;
  SPACELET_STEP(mkdirAllInRoot(rootFd, step.destination.c_str(), 0755, &dir.fd));
  char fdPath[32];
  unsigned long flags = step.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("cgroup2", procFdPath(dir.fd, fdPath), "cgroup2", flags, nullptr) != 0) {
    return stepFail("mount cgroup2 on", step.destination.c_str());
  }
  return stepOk();
}

StepError mountLegacy(int rootFd, const MountStep& step, const CgroupMountPlan& plan) {
  FdGuard dir;
  SPACELET_STEP(mkdirAllInRoot(rootFd, step.destination.c_str(), 0755, &dir.fd));
  char fdPath[32];
  if (::mount("tmpfs", procFdPath(dir.fd, fdPath), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=755") != 0) {
    return stepFail("mount tmpfs for cgroups on", step.destination.c_str());
  }
  FdGuard tmpfs;
  tmpfs.fd = openInRoot(rootFd, step.destination.c_str(), O_PATH | O_DIRECTORY);
  if (tmpfs.fd < 0) return stepFail("reopen", step.destination.c_str(), -tmpfs.fd);
  for (const auto& h : plan.hierarchies) {
    SPACELET_STEP(bindHierarchy(rootFd, step, h, plan, h.name.c_str()));
    for (const auto& alias : h.aliases) {
      if (::symlinkat(h.name.c_str(), tmpfs.fd, alias.c_str()) != 0 && errno != EEXIST) {
        return stepFail("create cgroup symlink", alias.c_str());
      }
    }
  }
  uint64_t ro = step.readonly() ? MOUNT_ATTR_RDONLY : 0;
  return setMountAttributes(tmpfs.fd, ro, 0, false, step.destination.c_str());
}

}  // namespace

CgroupMountPlan planCgroupMounts(const std::string& mountinfo, bool namespaced) {
  CgroupMountPlan plan;
  plan.namespaced = namespaced;
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options, field;
    f >> id >> parent >> dev >> root >> point >> options;
    while (f >> field && field != "-") {
    }
    std::string fstype, source, super;
    f >> fstype >> source >> super;
    if (point == "/sys/fs/cgroup" && fstype == "cgroup2") {
      plan.unified = true;
      plan.hierarchies = {CgroupHierarchy{point, root, "", "", {}}};
      return plan;
    }
    if (point.rfind("/sys/fs/cgroup/", 0) != 0) continue;
    if (fstype == "cgroup")
      plan.hierarchies.push_back(hierarchyOf(point, root, controllersOf(super)));
    if (fstype == "cgroup2") plan.hierarchies.push_back(hierarchyOf(point, root, ""));
  }
  return plan;
}

bool cgroupPathFor(const char* selfCgroup, const char* key, char* out, size_t outSize) {
  size_t keyLen = std::strlen(key);
  for (const char* line = selfCgroup; *line != '\0';) {
    const char* end = std::strchr(line, '\n');
    if (end == nullptr) end = line + std::strlen(line);
    const char* colon = std::strchr(line, ':');
    const char* second = colon ? std::strchr(colon + 1, ':') : nullptr;
    if (second != nullptr && second < end && static_cast<size_t>(second - colon - 1) == keyLen &&
        std::strncmp(colon + 1, key, keyLen) == 0) {
      size_t len = static_cast<size_t>(end - second - 1);
      if (len + 1 > outSize) return false;
      std::memcpy(out, second + 1, len);
      out[len] = '\0';
      return true;
    }
    line = (*end == '\n') ? end + 1 : end;
  }
  return false;
}

StepError captureSelfCgroup(CgroupMountPlan& plan) {
  int fd = ::open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return stepFail("open", "/proc/self/cgroup");
  size_t used = 0;
  ssize_t n;
  while (used + 1 < plan.selfCgroup.size() &&
         (n = ::read(fd, plan.selfCgroup.data() + used, plan.selfCgroup.size() - 1 - used)) > 0) {
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  plan.selfCgroup[used] = '\0';
  return stepOk();
}

StepError mountCgroups(int rootFd, const MountStep& step, const CgroupMountPlan& plan) {
  if (plan.hierarchies.empty()) {
    return stepFail("find a cgroup hierarchy on the host under", "/sys/fs/cgroup", ENOENT);
  }
  return plan.unified ? mountUnified(rootFd, step, plan) : mountLegacy(rootFd, step, plan);
}

}  // namespace spacelet::sandbox::linux
