// posix_spawn-based process start (see spawn.h), plus the blocking run() helper that feeds
// stdin and drains stdout/stderr with poll() so neither side can deadlock on a full pipe.
#include "agent/process/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
// glibc 2.36's <sys/pidfd.h> lacks extern "C" (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <cstring>
#include <map>

extern char** environ;

namespace spacelet::agent::process {
namespace {

// posix_spawn's attribute and file-action objects, released on every path.
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};
struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return failErrno(errno, "create pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// "KEY=VALUE" strings: the agent's environment (when asked) overridden by `env`.
std::vector<std::string> buildEnvironment(const SpawnOptions& options) {
  std::map<std::string, std::string> merged;
  auto add = [&merged](std::string_view entry) {
    size_t eq = entry.find('=');
    std::string key(entry.substr(0, eq));
    merged[key] = std::string(entry);
  };
  if (options.inheritEnv) {
    for (char** e = environ; e && *e; ++e) add(*e);
  }
  for (const auto& entry : options.env) add(entry);
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (auto& [key, entry] : merged) out.push_back(std::move(entry));
  return out;
}

std::vector<char*> cStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Everything the child's fd table is made of. `keep` owns the fds opened for the child
// (/dev/null, the child ends of pipes) until spawn returns.
struct FdPlan {
  std::vector<FdMapping> mappings;
  std::vector<UniqueFd> keep;
};

Result<void> planStream(Stream mode, int target, bool forWrite, Child& child, FdPlan& plan) {
  switch (mode) {
    case Stream::kInherit:
      plan.mappings.push_back({FdView(target), target});
      return {};
    case Stream::kNull: {
      int fd = ::open("/dev/null", (forWrite ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
      if (fd < 0) return failErrno(errno, "open /dev/null");
      plan.keep.emplace_back(fd);
      plan.mappings.push_back({FdView(fd), target});
      return {};
    }
    case Stream::kPipe: {
      auto pipe = makePipe();
      if (!pipe) return fail(std::move(pipe).error());
      UniqueFd& childEnd = forWrite ? pipe->write : pipe->read;
      plan.mappings.push_back({childEnd.view(), target});
      plan.keep.push_back(std::move(childEnd));
      UniqueFd& parentEnd = forWrite ? pipe->read : pipe->write;
      (target == 0   ? child.stdinPipe
       : target == 1 ? child.stdoutPipe
                     : child.stderrPipe) = std::move(parentEnd);
      return {};
    }
  }
  return {};
}

Result<FdPlan> planFds(const SpawnOptions& options, Child& child) {
  FdPlan plan;
  SPACELET_TRY(planStream(options.stdinMode, 0, false, child, plan));
  SPACELET_TRY(planStream(options.stdoutMode, 1, true, child, plan));
  if (options.mergeStderr) {
    plan.mappings.push_back({plan.mappings.back().source, 2});
  } else {
    SPACELET_TRY(planStream(options.stderrMode, 2, true, child, plan));
  }
  for (const auto& m : options.fds) {
    if (m.target < 0 || !m.source.valid()) return failInvalid("spawn: invalid fd mapping");
    // A later mapping for the same target replaces an earlier one (stdio overrides).
    std::erase_if(plan.mappings, [&](const FdMapping& x) { return x.target == m.target; });
    plan.mappings.push_back(m);
  }
  return plan;
}

// dup2 actions run in order in the child, so a source that is also some other mapping's target
// could be overwritten first. Every source is first copied above the highest target.
Result<void> addFdActions(FdPlan& plan, FileActions& fa) {
  int highest = 2;
  for (const auto& m : plan.mappings) highest = std::max(highest, m.target);
  for (const auto& m : plan.mappings) {
    int copy = ::fcntl(m.source.get(), F_DUPFD_CLOEXEC, highest + 1);
    if (copy < 0) return failErrno(errno, "duplicate fd " + std::to_string(m.source.get()));
    plan.keep.emplace_back(copy);
    if (int rc = posix_spawn_file_actions_adddup2(&fa.actions, copy, m.target); rc != 0)
      return failErrno(rc, "posix_spawn_file_actions_adddup2");
  }
  // Anything else (a library's fd without O_CLOEXEC) never reaches the child: close the gaps
  // between targets, then everything above them (the copies included).
  for (int fd = 3; fd < highest; ++fd) {
    bool isTarget = std::any_of(plan.mappings.begin(), plan.mappings.end(),
                                [fd](const FdMapping& m) { return m.target == fd; });
    if (isTarget) continue;
    if (int rc = posix_spawn_file_actions_addclose(&fa.actions, fd); rc != 0)
      return failErrno(rc, "posix_spawn_file_actions_addclose");
  }
  if (int rc = posix_spawn_file_actions_addclosefrom_np(&fa.actions, highest + 1); rc != 0)
    return failErrno(rc, "posix_spawn_file_actions_addclosefrom_np");
  return {};
}

Result<void> configureAttr(const SpawnOptions& options, SpawnAttr& sa) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.newProcessGroup) flags |= POSIX_SPAWN_SETPGROUP;
  if (options.newSession) flags |= POSIX_SPAWN_SETSID;
  // The agent blocks the signals sd-event handles and ignores SIGPIPE; children start clean.
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  posix_spawnattr_setpgroup(&sa.attr, 0);
  if (int rc = posix_spawnattr_setflags(&sa.attr, flags); rc != 0)
    return failErrno(rc, "posix_spawnattr_setflags");
  return {};
}

std::string signalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

ExitStatus fromSiginfo(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return ExitStatus{false, info.si_status};
  return ExitStatus{true, info.si_status};
}

}  // namespace

std::string ExitStatus::describe() const {
  if (!signaled) return "exit code " + std::to_string(value);
  return "killed by signal " + std::to_string(value) + " (" + signalName(value) + ")";
}

Child::~Child() {
  if (pidfd_.valid() && !reaped_) (void)tryReap();
}

Result<void> Child::signal(int sig, bool group) const {
  if (reaped_) return fail(Error{ESRCH, "signal pid " + std::to_string(pid_) + ": already reaped"});
  if (group) {
    if (::kill(-pid_, sig) != 0) return failErrno(errno, "signal group " + std::to_string(pid_));
    return {};
  }
  if (::pidfd_send_signal(pidfd_.get(), sig, nullptr, 0) != 0)
    return failErrno(errno, "signal pid " + std::to_string(pid_));
  return {};
}

Result<ExitStatus> Child::wait() {
  siginfo_t info{};
  for (;;) {
    if (::waitid(P_PIDFD, pidfd_.get(), &info, WEXITED) == 0) break;
    if (errno != EINTR) return failErrno(errno, "wait for pid " + std::to_string(pid_));
  }
  reaped_ = true;
  return fromSiginfo(info);
}

Result<std::optional<ExitStatus>> Child::tryReap() {
  if (reaped_) return failInvalid("pid " + std::to_string(pid_) + " was already reaped");
  siginfo_t info{};
  if (::waitid(P_PIDFD, pidfd_.get(), &info, WEXITED | WNOHANG) != 0)
    return failErrno(errno, "reap pid " + std::to_string(pid_));
  if (info.si_pid == 0) return std::optional<ExitStatus>();
  reaped_ = true;
  return std::optional<ExitStatus>(fromSiginfo(info));
}

Result<Child> spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) return failInvalid("spawn: empty argv");
  const std::string& program = options.argv[0];
  Child child;
  auto plan = planFds(options, child);
  if (!plan) return fail(std::move(plan).error().withContext("spawn '" + program + "'"));
  FileActions fa;
  SpawnAttr sa;
  SPACELET_TRY_CONTEXT(addFdActions(*plan, fa), "spawn '" + program + "'");
  SPACELET_TRY_CONTEXT(configureAttr(options, sa), "spawn '" + program + "'");
  if (!options.cwd.empty()) {
    if (int rc = posix_spawn_file_actions_addchdir_np(&fa.actions, options.cwd.c_str()); rc != 0)
      return failErrno(rc, "spawn '" + program + "': chdir '" + options.cwd + "'");
  }
  std::vector<std::string> argv = options.argv;
  std::vector<std::string> env = buildEnvironment(options);
  auto cargv = cStrings(argv);
  auto cenv = cStrings(env);
  pid_t pid = -1;
  bool search = program.find('/') == std::string::npos;
  int rc =
      search
          ? ::posix_spawnp(&pid, program.c_str(), &fa.actions, &sa.attr, cargv.data(), cenv.data())
          : ::posix_spawn(&pid, program.c_str(), &fa.actions, &sa.attr, cargv.data(), cenv.data());
  if (rc != 0) return failErrno(rc, "spawn '" + program + "'");
  // Safe from pid reuse: the child is ours and nobody else reaps it.
  int pidfd = ::pidfd_open(pid, 0);
  if (pidfd < 0) {
    int err = errno;
    ::kill(pid, SIGKILL);  // untrackable: do not leave it running unsupervised
    ::waitpid(pid, nullptr, 0);
    return failErrno(err, "pidfd_open for '" + program + "'");
  }
  Child started(pid, UniqueFd(pidfd));
  started.stdinPipe = std::move(child.stdinPipe);
  started.stdoutPipe = std::move(child.stdoutPipe);
  started.stderrPipe = std::move(child.stderrPipe);
  return started;
}

}  // namespace spacelet::agent::process
