// The child side of `spacelet-run exec`: the intermediate enters every namespace of the
// container at once with setns(pidfd, flags) (Linux 5.8), which also orders the user
// namespace correctly; its child, born in the container's pid namespace, becomes the
// process. Same protocol as the init (sync.h) minus the rootfs steps.
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/process/process_plan.h"
#include "sandbox/process/sync.h"

namespace spacelet::sandbox::process {
namespace {

[[noreturn]] void fail(int syncFd, const linux::StepError& err) {
  ChildErrorRecord record;
  record.code = err.code;
  FixedText text(record.message, sizeof record.message);
  text.add(err.what);
  if (err.subject != nullptr) text.add(" '").add(err.subject).add("'");
  failChild(syncFd, record);
}

[[noreturn]] void execChildMain(const ProcessPlan& plan) {
  if (::setsid() < 0) fail(plan.syncFd, linux::stepFail("create a session"));
  if (!receiveMessage(plan.syncFd, Message::kStart)) {
    fail(plan.syncFd, linux::stepFail("wait for the runtime", "start", EPIPE));
  }
  size_t program = 0;
  linux::StepError err = prepareProcess(plan, false, &program);
  if (err.failed()) fail(plan.syncFd, err);
  execProcess(plan, program);
}

}  // namespace

void execIntermediateMain(const ProcessPlan& plan, int joinPidfd, int nsFlags) {
  if (nsFlags != 0 && ::setns(joinPidfd, nsFlags) != 0) {
    fail(plan.syncFd, linux::stepFail("join the container's namespaces"));
  }
  uint32_t needsMaps = 0;
  if (!sendMessage(plan.syncFd, Message::kIntermediateReady, &needsMaps, sizeof needsMaps) ||
      !receiveMessage(plan.syncFd, Message::kParentReady)) {
    fail(plan.syncFd, linux::stepFail("sync with the runtime", nullptr, EPIPE));
  }
  struct clone_args args {};
  args.flags = CLONE_PARENT;  // the runtime reaps it (`exec` waits for its exit status)
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) fail(plan.syncFd, linux::stepFail("start the process (clone3)"));
  if (pid == 0) execChildMain(plan);
  int32_t childPid = static_cast<int32_t>(pid);
  sendMessage(plan.syncFd, Message::kInitPid, &childPid, sizeof childPid);
  _exit(0);
}

}  // namespace spacelet::sandbox::process
