// Starting, adopting and stopping a deployment's container through its monitor
// (see instance.h).
#include "agent/supervisor/instance.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/supervisor/layout.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::supervisor {
namespace {

using namespace std::chrono;

Result<UniqueFd> openPidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return failErrno(errno, "pidfd_open " + std::to_string(pid));
  return UniqueFd(fd);
}

std::vector<std::string> monitorArgv(const RunnerSettings& s, const InstanceSpec& spec,
                                     const std::string& id) {
  std::vector<std::string> argv = {s.monitorPath, "--runtime", s.runtimePath};
  for (const auto& a : s.runtimeArgs) argv.insert(argv.end(), {"--runtime-arg", a});
  argv.insert(
      argv.end(),
      {"--id", id, "--bundle", spec.bundleDir, "--state", spec.stateFile, "--log", spec.runLog,
       "--log-max-bytes", std::to_string(s.logLimits.maxBytes), "--log-keep",
       std::to_string(s.logLimits.keep), "--log-max-line-bytes",
       std::to_string(s.logLimits.maxLineBytes), "--cgroup-root", s.cgroupRoot, "--ready-fd", "3"});
  return argv;
}

// Reads the monitor's one ready line (the state JSON) within the timeout.
Result<monitor::MonitorState> readReady(int fd, seconds timeout) {
  std::string line;
  auto deadline = steady_clock::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    struct pollfd pfd = {fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      return fail(Error{ETIMEDOUT, "the container did not start within " +
                                       std::to_string(timeout.count()) + "s"});
    }
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failInvalid("the monitor exited before reporting (see its log)");
    line.append(buf, static_cast<size_t>(n));
  }
  return monitor::fromJson(line);
}

}  // namespace

Result<monitor::MonitorState> Instance::refresh() {
  if (child_ && !child_->reaped()) (void)child_->tryReap();
  auto state = monitor::readState(spec_.stateFile);
  if (!state) return fail(std::move(state).error());
  state_ = *state;
  return state_;
}

bool Instance::exited() const {
  struct pollfd pfd = {pidfd_.get(), POLLIN, 0};
  return pidfd_.valid() && ::poll(&pfd, 1, 0) > 0;
}

Result<std::unique_ptr<Instance>> startInstance(const RunnerSettings& settings, InstanceSpec spec) {
  std::string id = containerId(spec.space, spec.seq, spec.number);
  auto instance = std::make_unique<Instance>(spec, id);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return failErrno(errno, "create the ready pipe");
  UniqueFd readyRead(fds[0]), readyWrite(fds[1]);
  auto errors = openAt(AT_FDCWD, spec.stateFile + ".err", O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (!errors) return fail(std::move(errors).error());
  process::SpawnOptions options;
  options.argv = monitorArgv(settings, spec, id);
  options.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  options.newSession = true;  // outlives the agent, untouched by its terminal's signals
  options.fds = {{errors->view(), 1}, {errors->view(), 2}, {readyWrite.view(), 3}};
  auto child = process::spawn(options);
  if (!child) return fail(std::move(child).error());
  readyWrite.reset();
  auto pidfd = child->pidfd().valid() ? UniqueFd(::fcntl(child->pidfd().get(), F_DUPFD_CLOEXEC, 0))
                                      : UniqueFd();
  instance->child_ = std::move(*child);
  instance->pidfd_ = std::move(pidfd);
  auto ready = readReady(readyRead.get(), settings.readyTimeout);
  if (!ready) {
    (void)instance->child_->signal(SIGKILL);
    (void)instance->child_->wait();
    (void)runRuntime(settings, {"delete", "--force", id});
    return fail(std::move(ready).error().withContext("start container '" + id + "'"));
  }
  instance->state_ = *ready;
  if (ready->phase == monitor::Phase::kFailed) {
    (void)instance->child_->wait();
    return failInvalid(ready->error);
  }
  return instance;
}

Result<std::unique_ptr<Instance>> adoptInstance(const RunnerSettings&, InstanceSpec spec,
                                                const std::string& id) {
  auto state = monitor::readState(spec.stateFile);
  if (!state) return fail(std::move(state).error());
  if (!monitor::monitorAlive(*state)) {
    return fail(Error{ESRCH, "the monitor of '" + id + "' is gone"});
  }
  auto pidfd = openPidfd(state->monitorPid);
  if (!pidfd) return fail(std::move(pidfd).error());
  // The pid could have been recycled between the check and pidfd_open: check again.
  if (!monitor::monitorAlive(*state)) {
    return fail(Error{ESRCH, "the monitor of '" + id + "' is gone"});
  }
  auto instance = std::make_unique<Instance>(std::move(spec), id);
  instance->state_ = *state;
  instance->pidfd_ = std::move(*pidfd);
  return instance;
}

bool waitExited(const Instance& instance, milliseconds timeout) {
  if (!instance.pidfd().valid()) return true;
  struct pollfd pfd = {instance.pidfd().get(), POLLIN, 0};
  return ::poll(&pfd, 1, static_cast<int>(timeout.count())) > 0;
}

Result<process::RunResult> runRuntime(const RunnerSettings& settings,
                                      const std::vector<std::string>& command) {
  process::SpawnOptions options;
  options.argv = {settings.runtimePath};
  options.argv.insert(options.argv.end(), settings.runtimeArgs.begin(), settings.runtimeArgs.end());
  options.argv.insert(options.argv.end(), command.begin(), command.end());
  options.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  options.mergeStderr = true;
  process::RunOptions run;
  run.timeout = milliseconds(60000);
  return process::run(options, run);
}

Result<monitor::MonitorState> stopInstance(const RunnerSettings& settings, Instance& instance,
                                           seconds grace) {
  instance.retiring = true;
  if (!instance.exited()) {
    (void)runRuntime(settings, {"kill", instance.containerId(), "TERM"});
    if (!waitExited(instance, duration_cast<milliseconds>(grace))) {
      (void)runRuntime(settings, {"kill", instance.containerId(), "KILL"});
      if (!waitExited(instance, milliseconds(30000))) {
        return fail(Error{ETIMEDOUT,
                          "container '" + instance.containerId() + "' did not stop after SIGKILL"});
      }
    }
  }
  return instance.refresh();
}

}  // namespace spacelet::agent::supervisor
