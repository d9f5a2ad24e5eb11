// The container's /sys/fs/cgroup. On a cgroup v2 host with a cgroup namespace: a fresh
// cgroup2 mount (the namespace makes the container's cgroup its root). Otherwise the
// container's own cgroup directories are bind-mounted from the host: one per v1 hierarchy
// under a tmpfs on hybrid/legacy hosts (as runc does), or the v2 directory itself.
// Planning parses mountinfo before clone; the child fills in its cgroup paths and mounts.
#pragma once

#include <string>
#include <vector>

#include "sandbox/linux/mount_plan.h"
#include "sandbox/linux/step_error.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::linux {

struct CgroupHierarchy {
  std::string hostMount;  // e.g. "/sys/fs/cgroup/memory"
  std::string hostRoot;   // the mount's root within its hierarchy (usually "/")
  std::string key;        // its controllers as /proc/self/cgroup names them ("memory", "" for v2)
  std::string name;       // directory name in the container: basename(hostMount)
  std::vector<std::string> aliases;  // "cpu" and "cpuacct" for a co-mounted "cpu,cpuacct"
};

struct CgroupMountPlan {
  bool unified = false;                      // the host's /sys/fs/cgroup is cgroup2
  bool namespaced = false;                   // the container has a new cgroup namespace
  std::vector<CgroupHierarchy> hierarchies;  // v1 and hybrid's v2, or the single v2 one
  // /proc/self/cgroup as the child sees it after joining the container's cgroup (and before
  // unsharing the cgroup namespace); a buffer allocated before clone, filled in the child.
  std::vector<char> selfCgroup = std::vector<char>(8192, '\0');
};

// Parses /proc/self/mountinfo text into the hierarchies mounted under /sys/fs/cgroup.
CgroupMountPlan planCgroupMounts(const std::string& mountinfo, bool namespaced);

// In the child, after the parent moved it into the container's cgroup: reads
// /proc/self/cgroup into plan.selfCgroup.
StepError captureSelfCgroup(CgroupMountPlan& plan);

// Mounts the container's view at step.destination (step.flags and readonly() apply).
StepError mountCgroups(int rootFd, const MountStep& step, const CgroupMountPlan& plan);

// The cgroup path of `key` in /proc/self/cgroup text, copied into out (PATH_MAX bytes);
// false when the hierarchy is not listed. Pure; exposed for tests.
bool cgroupPathFor(const char* selfCgroup, const char* key, char* out, size_t outSize);

}  // namespace spacelet::sandbox::linux
