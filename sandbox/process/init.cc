// The child side of `create`/`run`: the intermediate (namespaces) and the init (rootfs,
// hooks, process). The step lists below are the container's setup order; see sync.h for
// the messages exchanged with the parent. Nothing here allocates, throws or logs: a failed
// step becomes a ChildErrorRecord and the child exits.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "sandbox/linux/devices.h"
#include "sandbox/linux/masked_paths.h"
#include "sandbox/linux/mounts.h"
#include "sandbox/linux/process_attributes.h"
#include "sandbox/process/init_plan.h"
#include "sandbox/process/sync.h"

namespace spacelet::sandbox::process {

using linux::StepError;
using linux::stepFail;
using linux::stepOk;

namespace {

[[noreturn]] void failStep(int syncFd, const StepError& err) {
  ChildErrorRecord record;
  record.code = err.code;
  FixedText text(record.message, sizeof record.message);
  text.add(err.what);
  if (err.subject != nullptr) text.add(" '").add(err.subject).add("'");
  failChild(syncFd, record);
}

StepError expect(int syncFd, Message message) {
  if (!receiveMessage(syncFd, message)) {
    return stepFail("wait for the runtime", messageName(message), errno ? errno : EPIPE);
  }
  return stepOk();
}

StepError becomeNamespaceRoot(const InitPlan& plan) {
  if (!plan.setRootIds) return stepOk();
  if (::syscall(SYS_setresgid, 0, 0, 0) != 0 || ::syscall(SYS_setresuid, 0, 0, 0) != 0) {
    return stepFail("become root in the new user namespace");
  }
  return stepOk();
}

// The parent opens the rootfs and bind sources inside our new mount namespace (with its
// privileges, through /proc/<pid>/root) and sends them; they go into the plan's steps.
StepError receiveMountSources(InitPlan& plan) {
  int syncFd = plan.process.syncFd;
  if (!sendMessage(syncFd, Message::kMountsReady) ||
      !receiveFds(syncFd, Message::kMountSources, plan.receivedFds.data(),
                  plan.receivedFds.size())) {
    return stepFail("receive the rootfs and bind sources", nullptr, EPROTO);
  }
  plan.rootfs.rootfsFd = plan.receivedFds[0];
  size_t next = 1;
  for (auto& step : plan.mounts) {
    if (step.kind == linux::MountKind::kBind) step.sourceFd = plan.receivedFds[next++];
  }
  return stepOk();
}

// kState arrives once the parent has moved the init into the container's cgroup (it does
// that while the init mounts, so the slow cgroup v1 migration overlaps with this work).
// Only then may the init read its cgroup paths and unshare the cgroup namespace, whose
// root is the cgroup the caller is in at that moment.
StepError awaitCgroup(InitPlan& plan, size_t* stateLen) {
  if (!receiveMessage(plan.process.syncFd, Message::kState, plan.stateBuffer.data(),
                      plan.stateBuffer.size(), stateLen)) {
    return stepFail("receive the container state", nullptr, EPROTO);
  }
  if (plan.needsSelfCgroup) SPACELET_STEP(linux::captureSelfCgroup(plan.cgroupMounts));
  if (plan.newCgroupNamespace && ::unshare(CLONE_NEWCGROUP) != 0) {
    return stepFail("create cgroup namespace");
  }
  return stepOk();
}

// Mounts, devices and symlinks below the rootfs, before pivot_root; the cgroup step comes
// before the first cgroup mount (or after the mounts when there is none).
StepError setUpMounts(InitPlan& plan, int* rootFd, size_t* stateLen) {
  SPACELET_STEP(linux::prepareRootfs(plan.rootfs, rootFd));
  bool joined = false;
  for (const auto& step : plan.mounts) {
    if (step.kind == linux::MountKind::kCgroup && !joined) {
      SPACELET_STEP(awaitCgroup(plan, stateLen));
      joined = true;
    }
    SPACELET_STEP(linux::applyMount(*rootFd, step, plan.cgroupMounts, plan.inUserNamespace));
  }
  if (!joined) SPACELET_STEP(awaitCgroup(plan, stateLen));
  SPACELET_STEP(linux::createDevices(*rootFd, plan.devices, plan.bindDevices));
  return linux::createDevSymlinks(*rootFd, plan.ownDevpts);
}

// Runs in-container hooks; the failure names the hook (kind, index, path, status, output).
[[noreturn]] void failHook(const ProcessPlan& plan, const char* kind, size_t index,
                           const hooks::PreparedHook& hook, const hooks::HookOutcome& outcome) {
  ChildErrorRecord record;
  record.code = outcome.err != 0 ? outcome.err : ECANCELED;
  FixedText text(record.message, sizeof record.message);
  text.add("hooks.").add(kind).add("[").addInt(static_cast<long>(index)).add("] '");
  text.add(hook.path().c_str()).add("'");
  if (outcome.err != 0) {
    text.add(": ").add(outcome.what);
  } else if (outcome.timedOut) {
    text.add(" did not finish within its timeout and was killed");
  } else {
    text.add(" exited with status ").addInt(outcome.exitStatus);
  }
  if (outcome.output[0] != '\0') text.add(": ").add(outcome.output);
  failProcess(plan, record);
}

// kState carries two documents separated by a NUL: the state as createContainer hooks see
// it ("creating") and as startContainer hooks see it ("created").
void runContainerHooks(const InitPlan& plan, const std::vector<hooks::PreparedHook>& list,
                       const char* kind, size_t stateLen, bool created) {
  const char* text = plan.stateBuffer.data();
  const char* split = static_cast<const char*>(std::memchr(text, '\0', stateLen));
  size_t firstLen = split ? static_cast<size_t>(split - text) : stateLen;
  const char* state = created && split ? split + 1 : text;
  size_t length = created && split ? stateLen - firstLen - 1 : firstLen;
  for (size_t i = 0; i < list.size(); ++i) {
    hooks::HookOutcome outcome;
    hooks::runHook(list[i], state, length, outcome);
    if (!outcome.ok()) failHook(plan.process, kind, i, list[i], outcome);
  }
}

// After the rootfs is "/": root flags, hostname, sysctl, masked and read-only paths.
StepError configureRoot(const InitPlan& plan) {
  SPACELET_STEP(linux::finishRootfs(plan.rootfs));
  SPACELET_STEP(linux::setHostAndDomainName(plan.hostname, plan.domainname));
  SPACELET_STEP(linux::applySysctl(plan.sysctl));
  SPACELET_STEP(linux::maskPaths(plan.maskedPaths));
  return linux::makeReadonlyPaths(plan.readonlyPaths);
}

// create: block until `spacelet-run start` opens the fifo for reading, write one byte, and
// keep the fifo open: it is close-on-exec, so `start` sees EOF exactly when the program is
// executed (or the init died), and only then runs poststart hooks. run: wait for kStart.
StepError waitForStart(InitPlan& plan) {
  if (plan.stateDirFd < 0) return expect(plan.process.syncFd, Message::kStart);
  int fifo = ::openat(plan.stateDirFd, "exec.fifo", O_WRONLY | O_CLOEXEC);
  if (fifo < 0) return stepFail("open exec.fifo to wait for start");
  if (::write(fifo, "0", 1) != 1) return stepFail("signal start on exec.fifo");
  plan.process.startFailureFd = fifo;
  return stepOk();
}

// Writing "0" to a v1 `tasks` file moves the writing thread: all of this single-threaded
// process (cgroups(7)), without the global lock that moving another pid waits on.
StepError joinCgroupItself(const InitPlan& plan) {
  for (int fd : plan.cgroupTasksFds) {
    if (::write(fd, "0", 1) != 1) return stepFail("join the container's cgroup (v1 tasks)");
    ::close(fd);
  }
  return stepOk();
}

[[noreturn]] void initMain(InitPlan& plan) {
  int syncFd = plan.process.syncFd;
  size_t stateLen = 0;
  StepError joined = joinCgroupItself(plan);
  if (joined.failed()) failStep(syncFd, joined);
  if (::setsid() < 0) failStep(syncFd, stepFail("create a session"));
  // A session keyring of its own, so the container cannot read the host's (runc does this).
  if (plan.newKeyring && ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 &&
      errno != ENOSYS) {
    failStep(syncFd, stepFail("join a new session keyring"));
  }
  int rootFd = -1;
  StepError err = setUpMounts(plan, &rootFd, &stateLen);
  if (err.failed()) failStep(syncFd, err);
  if (plan.parentHooks) {
    if (!sendMessage(syncFd, Message::kRunRuntimeHooks)) failStep(syncFd, stepFail("sync"));
    if ((err = expect(syncFd, Message::kHooksDone)).failed()) failStep(syncFd, err);
  }
  runContainerHooks(plan, plan.createContainerHooks, "createContainer", stateLen, false);
  if ((err = linux::enterRootfs(plan.rootfs, rootFd)).failed()) failStep(syncFd, err);
  ::close(rootFd);
  if ((err = configureRoot(plan)).failed()) failStep(syncFd, err);
  size_t program = 0;
  if ((err = prepareProcess(plan.process, true, &program)).failed()) failStep(syncFd, err);
  if (!sendMessage(syncFd, Message::kInitReady)) failStep(syncFd, stepFail("sync"));
  if ((err = waitForStart(plan)).failed()) failStep(syncFd, err);
  runContainerHooks(plan, plan.startContainerHooks, "startContainer", stateLen, true);
  execProcess(plan.process, program);
}

}  // namespace

void intermediateMain(InitPlan& plan) {
  int syncFd = plan.process.syncFd;
  for (int fd : plan.parentOnlyFds) ::close(fd);
  StepError err = linux::joinNamespaces(plan.namespaces);
  if (!err.failed()) err = linux::unshareUserNamespace(plan.namespaces);
  if (err.failed()) failStep(syncFd, err);
  uint32_t needsMaps = plan.namespaces.newUser ? 1 : 0;
  if (!sendMessage(syncFd, Message::kIntermediateReady, &needsMaps, sizeof needsMaps)) {
    failStep(syncFd, stepFail("sync"));
  }
  if ((err = expect(syncFd, Message::kParentReady)).failed()) failStep(syncFd, err);
  if ((err = becomeNamespaceRoot(plan)).failed()) failStep(syncFd, err);
  if ((err = linux::unshareOtherNamespaces(plan.namespaces)).failed()) failStep(syncFd, err);
  if ((err = receiveMountSources(plan)).failed()) failStep(syncFd, err);
  struct clone_args args {};
  // CLONE_PARENT: the init becomes the runtime's child (its exit signal is the
  // intermediate's, SIGCHLD), so `run` can wait for it. clone3 wants exit_signal 0 here.
  args.flags = CLONE_PARENT;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) failStep(syncFd, stepFail("start the container's init (clone3)"));
  if (pid == 0) initMain(plan);
  int32_t initPid = static_cast<int32_t>(pid);
  sendMessage(syncFd, Message::kInitPid, &initPid, sizeof initPid);
  _exit(0);
}

}  // namespace spacelet::sandbox::process
