// The container process: planning before clone, and the child's last steps (see
// process_plan.h). Order in the child, and why:
//   AppArmor exec label, cwd (as root: the user may lack search permission on the way),
//   program lookup (so `create` reports a missing program), terminal, umask,
//   seccomp without no_new_privs (needs CAP_SYS_ADMIN, so before the user switch),
//   bounding set, user, capsets, no_new_privs, fds; then, at exec time: personality,
//   signal reset, seccomp with no_new_privs (as late as possible), execve.
#include "sandbox/process/process_plan.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/linux/capabilities.h"
#include "sandbox/linux/console.h"
#include "sandbox/linux/fds.h"
#include "sandbox/linux/process_attributes.h"
#include "sandbox/process/sync.h"

namespace spacelet::sandbox::process {

using linux::StepError;
using linux::stepFail;
using linux::stepOk;

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool selinuxEnabled() {
  return ::access("/sys/fs/selinux/enforce", F_OK) == 0;
}

StepError findProgram(const ProcessPlan& plan, size_t* program) {
  for (size_t i = 0; i < plan.candidates.size(); ++i) {
    struct stat st {};
    if (::stat(plan.candidates[i].c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_mode & 0111) != 0) {
      *program = i;
      return stepOk();
    }
  }
  return stepFail("executable not found in the container (check process.args[0] and PATH)",
                  plan.args[0].c_str(), ENOENT);
}

StepError switchUser(const ProcessPlan& plan) {
  spec::Capabilities caps = plan.capabilities.value_or(spec::Capabilities{});
  SPACELET_STEP(linux::dropBoundingSet(caps.bounding, plan.lastCap));
  SPACELET_STEP(linux::switchIdentity(plan.identity));
  SPACELET_STEP(linux::applyCapabilitySets(caps, plan.lastCap));
  if (plan.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return stepFail("set process.noNewPrivileges");
  }
  return stepOk();
}

StepError loadSeccomp(const ProcessPlan& plan) {
  int rc = seccomp::load(*plan.seccomp);
  if (rc < 0) return stepFail("load the seccomp filter (linux.seccomp)", nullptr, -rc);
  return stepOk();
}

void resetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace

std::vector<std::string> programCandidates(const std::vector<std::string>& args,
                                           const std::vector<std::string>& env) {
  if (args.empty()) return {};
  const std::string& program = args[0];
  if (program.find('/') != std::string::npos) return {program};
  std::string path = kDefaultPath;
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    out.push_back((dir.empty() ? "." : dir) + "/" + program);
    start = end + 1;
  }
  return out;
}

Result<ProcessPlan> buildProcessPlan(const spec::Process& process,
                                     const std::optional<seccomp::Spec>& seccompSpec,
                                     bool setgroupsAllowed) {
  if (!process.selinuxLabel.empty() && selinuxEnabled()) {
    return failInvalid(
        "process.selinuxLabel: SELinux labels are not supported by spacelet-run; "
        "remove the label or use another runtime on SELinux hosts");
  }
  ProcessPlan plan;
  plan.args = process.args;
  plan.env = process.env;
  for (auto& a : plan.args) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.candidates = programCandidates(plan.args, plan.env);
  plan.cwd = process.cwd;
  plan.identity = {process.user.uid,
                   process.user.gid,
                   {process.user.additionalGids.begin(), process.user.additionalGids.end()},
                   setgroupsAllowed};
  plan.lastCap = linux::kernelLastCapability();
  plan.capabilities =
      linux::clampCapabilities(process.capabilities.value_or(spec::Capabilities{}), plan.lastCap);
  plan.noNewPrivileges = process.noNewPrivileges;
  plan.umask = process.user.umask;
  if (!process.apparmorProfile.empty() && linux::appArmorEnabled()) {
    plan.apparmorProfile = process.apparmorProfile;
  }
  plan.terminal = process.terminal;
  plan.consoleSize = process.consoleSize;
  if (seccompSpec) {
    auto filter = seccomp::compile(*seccompSpec);
    if (!filter) return fail(std::move(filter).error().withContext("linux.seccomp"));
    plan.seccomp = std::move(*filter);
  }
  return plan;
}

StepError prepareProcess(const ProcessPlan& plan, bool bindDevConsole, size_t* program) {
  SPACELET_STEP(linux::setAppArmorProfile(plan.apparmorProfile));
  SPACELET_STEP(linux::enterWorkingDirectory(plan.cwd.c_str()));
  SPACELET_STEP(findProgram(plan, program));
  if (plan.terminal) {
    SPACELET_STEP(linux::setupConsole(plan.consoleSocket, plan.consoleSize, bindDevConsole));
  }
  ::umask(plan.umask.value_or(022));
  if (plan.seccomp && !plan.noNewPrivileges) SPACELET_STEP(loadSeccomp(plan));
  SPACELET_STEP(switchUser(plan));
  return linux::limitInheritedFds(plan.preserveFds);
}

void execProcess(const ProcessPlan& plan, size_t program) {
  ChildErrorRecord record;
  FixedText text(record.message, sizeof record.message);
  StepError err = linux::setPersonality(plan.personality);
  resetSignals();
  if (!err.failed() && plan.seccomp && plan.noNewPrivileges) err = loadSeccomp(plan);
  if (!err.failed()) {
    ::execve(plan.candidates[program].c_str(), plan.argv.data(), plan.envp.data());
    err = stepFail("execute", plan.candidates[program].c_str());
  }
  record.code = err.code;
  text.add(err.what);
  if (err.subject != nullptr) text.add(" '").add(err.subject).add("'");
  failProcess(plan, record);
}

void failProcess(const ProcessPlan& plan, const ChildErrorRecord& record) {
  if (plan.startFailureFd >= 0) (void)!::write(plan.startFailureFd, "x", 1);
  failChild(plan.syncFd, record);
}

}  // namespace spacelet::sandbox::process
