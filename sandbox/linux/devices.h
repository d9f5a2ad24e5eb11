// /dev inside the container: the default nodes every container gets (null, zero, full,
// random, urandom, tty), config.json's linux.devices, and the standard symlinks (fd, stdin,
// stdout, stderr, ptmx). Nodes are made with mknod(2), or bind-mounted from the host's
// node of the same path inside a user namespace, where mknod is not permitted.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "sandbox/linux/step_error.h"
#include "sandbox/spec/config.h"

namespace spacelet::sandbox::linux {

struct DeviceNode {
  std::string path;  // in the container, e.g. "/dev/null"
  mode_t type = 0;   // S_IFCHR, S_IFBLK or S_IFIFO
  unsigned major = 0;
  unsigned minor = 0;
  mode_t mode = 0666;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The default nodes (unless /dev is a bind of the host's), then config.json's devices;
// a configured device replaces a default one of the same path. Pure.
std::vector<DeviceNode> planDevices(const spec::Spec& spec, bool devIsBindMounted);

// The cgroup device rules that let the container use the nodes of linux.devices.
std::vector<cgroup::DeviceRule> deviceAllowRules(const spec::Spec& spec);

// In the child, before pivot_root: creates the nodes below rootFd.
StepError createDevices(int rootFd, const std::vector<DeviceNode>& nodes, bool bindFromHost);

// /dev/fd -> /proc/self/fd, /dev/std{in,out,err}, /dev/core when /proc/kcore exists, and
// /dev/ptmx -> pts/ptmx when the container has its own devpts.
StepError createDevSymlinks(int rootFd, bool ownDevpts);

}  // namespace spacelet::sandbox::linux
