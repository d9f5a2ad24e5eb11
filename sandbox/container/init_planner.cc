// The init plan (see init_planner.h).
#include "sandbox/container/init_planner.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "sandbox/linux/mount_plan.h"
#include "sandbox/spec/json_fields.h"
#include "sandbox/spec/validate.h"
#include "sandbox/state/state.h"
#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::container {
namespace {

using linux::MountKind;
using spec::NamespaceType;

Result<std::vector<linux::MountStep>> planMounts(const spec::Spec& spec, const std::string& bundle,
                                                 std::vector<std::string>& sources) {
  std::vector<linux::MountStep> steps;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    std::string path = spec::indexPath("mounts", i);
    auto step = linux::planMount(spec.mounts[i], bundle, path);
    if (!step) return fail(std::move(step).error());
    if (step->kind == MountKind::kBind) {
      struct stat st {};
      if (::stat(step->source.c_str(), &st) != 0) {
        return failErrno(errno, path + ".source: bind source '" + step->source +
                                    "' cannot be used (create it or fix the path)");
      }
      step->sourceIsFile = !S_ISDIR(st.st_mode);
      sources.push_back(step->source);
    }
    steps.push_back(std::move(*step));
  }
  return steps;
}

bool hasMountAt(const std::vector<linux::MountStep>& steps, const std::string& destination,
                MountKind kind, const std::string& type = "") {
  for (const auto& s : steps) {
    if (s.destination == destination && s.kind == kind && (type.empty() || s.type == type)) {
      return true;
    }
  }
  return false;
}

Result<linux::RootfsPlan> planRootfs(const spec::Spec& spec, const PlanInputs& in) {
  linux::RootfsPlan plan;
  plan.rootfs = in.rootfs;
  plan.readonly = spec.root.readonly;
  plan.noPivot = in.noPivot;
  const std::string& p = spec.linux.rootfsPropagation;
  plan.hostPropagation =
      (p == "private" || p == "rprivate") ? (MS_PRIVATE | MS_REC) : (MS_SLAVE | MS_REC);
  auto flags = linux::propagationFlags(p);
  if (!flags) return fail(std::move(flags).error().withContext("linux.rootfsPropagation"));
  plan.rootPropagation = *flags;
  return plan;
}

size_t stateBufferSize(const spec::Spec& spec) {
  size_t size = 16 * 1024;
  // Two state documents (createContainer's and startContainer's), each with the annotations.
  for (const auto& [key, value] : spec.annotations) size += 2 * (key.size() + value.size() + 16);
  return size;
}

void planNamespaceFlags(const spec::Spec& spec, process::InitPlan& plan) {
  plan.namespaces = linux::planNamespaces(spec);
  plan.inUserNamespace = spec.hasNamespace(NamespaceType::kUser);
  plan.setRootIds = plan.namespaces.newUser && spec::isMapped(spec.linux.uidMappings, 0) &&
                    spec::isMapped(spec.linux.gidMappings, 0);
  const spec::Namespace* cgroupNs = spec.findNamespace(NamespaceType::kCgroup);
  plan.newCgroupNamespace = cgroupNs != nullptr && cgroupNs->path.empty();
  // The init unshares it itself, once it is in the container's cgroup (init.cc).
  plan.namespaces.unshareFlags &= ~CLONE_NEWCGROUP;
}

Result<void> planCgroupMount(process::InitPlan& plan) {
  bool any = false;
  for (const auto& step : plan.mounts) any = any || step.kind == MountKind::kCgroup;
  if (!any) return {};
  auto mountinfo = readFileAt(AT_FDCWD, "/proc/self/mountinfo");
  if (!mountinfo) return fail(std::move(mountinfo).error());
  plan.cgroupMounts = linux::planCgroupMounts(*mountinfo, plan.newCgroupNamespace);
  plan.needsSelfCgroup = !(plan.cgroupMounts.unified && plan.newCgroupNamespace);
  return {};
}

Result<void> planFilesystem(const spec::Spec& spec, const PlanInputs& in, process::InitPlan& plan) {
  plan.mountSourcePaths = {in.rootfs};
  auto mounts = planMounts(spec, in.bundle, plan.mountSourcePaths);
  if (!mounts) return fail(std::move(mounts).error());
  plan.mounts = std::move(*mounts);
  SPACELET_TRY(planCgroupMount(plan));
  auto rootfs = planRootfs(spec, in);
  if (!rootfs) return fail(std::move(rootfs).error());
  plan.rootfs = std::move(*rootfs);
  plan.receivedFds.assign(plan.mountSourcePaths.size(), -1);
  bool devBound = hasMountAt(plan.mounts, "/dev", MountKind::kBind);
  plan.devices = linux::planDevices(spec, devBound);
  plan.bindDevices = plan.inUserNamespace;
  plan.ownDevpts = hasMountAt(plan.mounts, "/dev/pts", MountKind::kFilesystem, "devpts");
  plan.maskedPaths = spec.linux.maskedPaths;
  plan.readonlyPaths = spec.linux.readonlyPaths;
  plan.sysctl = linux::planSysctl(spec.linux.sysctl);
  plan.hostname = spec.hostname;
  plan.domainname = spec.domainname;
  return {};
}

}  // namespace

Result<BundlePaths> resolveBundle(const std::string& bundle, const spec::Spec& spec) {
  char real[PATH_MAX];
  if (::realpath(bundle.c_str(), real) == nullptr) {
    return failErrno(errno, "bundle '" + bundle + "' (pass --bundle DIR with a config.json)");
  }
  BundlePaths paths{real, ""};
  std::string root =
      spec.root.path[0] == '/' ? spec.root.path : paths.bundle + "/" + spec.root.path;
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    return failErrno(errno, "root.path: rootfs '" + root +
                                "' does not exist (unpack the image there or fix root.path)");
  }
  if (!S_ISDIR(st.st_mode)) {
    return failErrno(ENOTDIR, "root.path: rootfs '" + root + "' is not a directory");
  }
  if (::realpath(root.c_str(), real) == nullptr) return failErrno(errno, "resolve '" + root + "'");
  paths.rootfs = real;
  return paths;
}

Result<process::InitPlan> buildInitPlan(const spec::Spec& spec, const PlanInputs& in) {
  process::InitPlan plan;
  planNamespaceFlags(spec, plan);
  SPACELET_TRY(linux::openNamespaceJoins(plan.namespaces));
  SPACELET_TRY(planFilesystem(spec, in, plan));
  plan.createContainerHooks = hooks::prepareHooks(spec.hooks.createContainer);
  plan.startContainerHooks = hooks::prepareHooks(spec.hooks.startContainer);
  plan.parentHooks = !spec.hooks.prestart.empty() || !spec.hooks.createRuntime.empty();
  plan.stateBuffer.assign(stateBufferSize(spec), '\0');
  plan.stateDirFd = in.stateDirFd;
  if (in.lockFd >= 0) plan.parentOnlyFds.push_back(in.lockFd);
  plan.newKeyring = in.newKeyring;
  auto process = process::buildProcessPlan(*spec.process, spec.linux.seccomp, true);
  if (!process) return fail(std::move(process).error());
  plan.process = std::move(*process);
  plan.process.personality = spec.linux.personality;
  plan.process.preserveFds = in.preserveFds;
  plan.process.consoleSocket = in.consoleSocket;
  return plan;
}

}  // namespace spacelet::sandbox::container
