// Everything the child needs to turn itself into the container's process (the init, or an
// `exec`'d process): program, environment, user, capabilities, terminal, seccomp. Built
// before clone by buildProcessPlan(); the child only reads it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sandbox/linux/identity.h"
#include "sandbox/linux/step_error.h"
#include "sandbox/process/sync.h"
#include "sandbox/seccomp/seccomp.h"
#include "sandbox/spec/config.h"
#include "spacelet/base/error.h"

namespace spacelet::sandbox::process {

// Move-only for the same reason as hooks::PreparedHook: argv/envp point into the strings.
struct ProcessPlan {
  ProcessPlan() = default;
  ProcessPlan(ProcessPlan&&) = default;
  ProcessPlan& operator=(ProcessPlan&&) = default;
  ProcessPlan(const ProcessPlan&) = delete;
  ProcessPlan& operator=(const ProcessPlan&) = delete;

  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;
  std::vector<char*> envp;
  // Where execve looks for args[0]: the PATH entries joined with it, or args[0] itself.
  std::vector<std::string> candidates;
  std::string cwd = "/";
  linux::Identity identity;
  std::optional<spec::Capabilities> capabilities;  // clamped to the kernel's
  int lastCap = 40;
  bool noNewPrivileges = false;
  std::optional<mode_t> umask;
  std::optional<unsigned long> personality;
  std::string apparmorProfile;  // empty unless the host has AppArmor
  bool terminal = false;
  std::optional<spec::ConsoleSize> consoleSize;
  int consoleSocket = -1;  // borrowed; where the terminal's master goes
  std::optional<seccomp::CompiledFilter> seccomp;
  int preserveFds = 0;
  int syncFd = -1;  // borrowed; the child's end of the sync socket
  // After `start` released the init: the exec fifo, where a failure writes 'x' so that
  // `start` can tell a failed start from a program that ran and exited.
  int startFailureFd = -1;
};

// Pure: the PATH search list for args[0] given the process env (default PATH when unset).
std::vector<std::string> programCandidates(const std::vector<std::string>& args,
                                           const std::vector<std::string>& env);

// Builds the plan (compiles seccomp when given, clamps capabilities to the kernel's).
Result<ProcessPlan> buildProcessPlan(const spec::Process& process,
                                     const std::optional<seccomp::Spec>& seccomp,
                                     bool setgroupsAllowed);

// Child side, shared by init and exec. prepare*: everything up to the user switch that
// may fail in a way `create`/`exec` should report (cwd, program lookup, terminal, user,
// capabilities, no_new_privs). exec*: the last steps right before execve.
linux::StepError prepareProcess(const ProcessPlan& plan, bool bindDevConsole, size_t* program);
[[noreturn]] void execProcess(const ProcessPlan& plan, size_t program);
// failChild() for the container process: also marks the start as failed (startFailureFd).
[[noreturn]] void failProcess(const ProcessPlan& plan, const ChildErrorRecord& record);

// The child entry point of `exec` (exec_child.cc): joins the container through its init's
// pidfd, then clones the process that runs `plan`. Never returns.
[[noreturn]] void execIntermediateMain(const ProcessPlan& plan, int joinPidfd, int nsFlags);

}  // namespace spacelet::sandbox::process
