// The prepared plan for a container's init: namespaces, rootfs and mounts, devices, masked
// paths, sysctl, hostname, in-container hooks, and the process (process_plan.h). Built in
// the parent before clone (container/create.cc); the intermediate and the init only read
// it (their copies, since clone without CLONE_VM copies memory).
#pragma once

#include <string>
#include <vector>

#include "sandbox/hooks/hooks.h"
#include "sandbox/linux/cgroup_mount.h"
#include "sandbox/linux/devices.h"
#include "sandbox/linux/mount_plan.h"
#include "sandbox/linux/namespaces.h"
#include "sandbox/linux/rootfs.h"
#include "sandbox/linux/sysctl.h"
#include "sandbox/process/process_plan.h"

namespace spacelet::sandbox::process {

struct InitPlan {
  linux::NamespacePlan namespaces;
  bool setRootIds = false;  // setresuid/gid(0) after the user ns maps are written (0 is mapped)
  bool newCgroupNamespace = false;
  bool needsSelfCgroup = false;  // a cgroup mount needs the container's cgroup paths
  linux::CgroupMountPlan cgroupMounts;
  linux::RootfsPlan rootfs;
  std::vector<linux::MountStep> mounts;
  std::vector<linux::DeviceNode> devices;
  bool bindDevices = false;  // user namespace: bind host nodes instead of mknod
  bool ownDevpts = false;
  bool inUserNamespace = false;
  std::vector<std::string> maskedPaths;
  std::vector<std::string> readonlyPaths;
  std::vector<linux::SysctlWrite> sysctl;
  std::string hostname;
  std::string domainname;
  std::vector<hooks::PreparedHook> createContainerHooks;
  std::vector<hooks::PreparedHook> startContainerHooks;
  bool parentHooks = false;
  bool newKeyring = true;  // join a fresh session keyring (runc's default; --no-new-keyring)  //
                           // prestart/createRuntime: ask the parent to run them
  std::vector<char> stateBuffer;  // receives the kState payload
  int stateDirFd = -1;  // borrowed; holds exec.fifo (create); -1: start comes as kStart (run)
  // The parent's fds the children must not keep: the flock'ed state directory (a child
  // holding it would block every later command while the init waits for start).
  std::vector<int> parentOnlyFds;
  // v1 `tasks` files of the container's cgroups (borrowed): the init writes "0" to each
  // first, joining them itself (cgroup::Manager::selfJoin); empty when the parent moves it.
  std::vector<int> cgroupTasksFds;
  // Host paths the parent opens inside the intermediate's mount namespace and sends back
  // (kMountSources): the rootfs, then each bind mount's source in mount order. The child
  // then needs no search permission on them, which a user namespace's root usually lacks.
  std::vector<std::string> mountSourcePaths;
  std::vector<int> receivedFds;  // sized like mountSourcePaths before clone
  ProcessPlan process;
};

// The child entry points (init.cc). Never return.
[[noreturn]] void intermediateMain(InitPlan& plan);

}  // namespace spacelet::sandbox::process
