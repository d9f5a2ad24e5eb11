// The monitor's life as a list of steps (see monitor.h): prepare, create, start, announce,
// supervise until the container's init exits, record, delete.
#include "agent/monitor/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/monitor/runtime_log.h"
#include "agent/store/clock.h"
#include "agent/store/space_paths.h"
#include "spacelet/base/file_io.h"

namespace spacelet::agent::monitor {
namespace {

constexpr std::chrono::seconds kRuntimeTimeout{120};
constexpr std::chrono::milliseconds kDrainAfterExit{2000};

Result<UniqueFd> blockedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return failErrno(errno, "block SIGCHLD");
  int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return failErrno(errno, "signalfd");
  // The agent's terminal or process group must not take the monitor down with it.
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGQUIT}) ::signal(sig, SIG_IGN);
  return UniqueFd(fd);
}

Result<pid_t> readPidFile(const std::string& path) {
  auto text = readFileAt(AT_FDCWD, path);
  if (!text) return fail(std::move(text).error());
  try {
    return static_cast<pid_t>(std::stol(*text));
  } catch (const std::exception&) {
    return failInvalid("pid file '" + path + "' holds '" + *text + "'");
  }
}

}  // namespace

int Monitor::run() {
  if (auto ok = prepare(); !ok) {
    recordFailure(ok.error());
    return 1;
  }
  if (auto ok = createContainer(); !ok) {
    recordFailure(ok.error());
    return 1;
  }
  watchOomCounter();
  if (auto ok = startContainer(); !ok) {
    recordFailure(ok.error());
    deleteContainer();
    return 1;
  }
  announce();
  if (auto ok = superviseUntilExit(); !ok) log("spacelet: monitor: " + ok.error().message);
  deleteContainer();
  return 0;
}

Result<void> Monitor::prepare() {
  state_.containerId = options_.containerId;
  state_.monitorPid = ::getpid();
  auto self = readProcStat(state_.monitorPid, options_.procRoot);
  if (self) state_.monitorStartTime = self->startTime;
  saveState();
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return failErrno(errno, "become child subreaper");
  auto signals = blockedSignals();
  if (!signals) return fail(std::move(signals).error());
  signals_ = std::move(*signals);
  auto writer = LogWriter::open(options_.logFile, options_.logLimits, [](std::string_view text) {
    return store::formatLogLine(store::nowMs(), text);
  });
  if (!writer) return fail(std::move(writer).error());
  log_.emplace(std::move(*writer));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return failErrno(errno, "create the output pipe");
  outputRead_.reset(fds[0]);
  outputWrite_.reset(fds[1]);
  return {};
}

Result<process::ExitStatus> Monitor::runRuntime(std::vector<std::string> command,
                                                std::chrono::seconds timeout) {
  process::SpawnOptions spawn;
  spawn.argv = {options_.runtime};
  spawn.argv.insert(spawn.argv.end(), options_.runtimeArgs.begin(), options_.runtimeArgs.end());
  spawn.argv.insert(spawn.argv.end(), {"--log", options_.runtimeLog, "--log-format", "json"});
  spawn.argv.insert(spawn.argv.end(), command.begin(), command.end());
  spawn.inheritEnv = true;
  // The container inherits the runtime's stdio: both go to the log pipe (until start has
  // handed it over; later commands write nothing worth keeping besides their --log).
  if (outputWrite_) spawn.fds = {{outputWrite_.view(), 1}, {outputWrite_.view(), 2}};
  auto child = process::spawn(spawn);
  if (!child) return fail(std::move(child).error());
  struct pollfd pfd = {child->pidfd().get(), POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count() * 1000));
  if (ready == 0) {
    (void)child->signal(SIGKILL);
    (void)child->wait();
    return failInvalid("'" + options_.runtime + " " + command[0] + "' did not finish within " +
                       std::to_string(timeout.count()) + "s");
  }
  return child->wait();
}

Result<void> Monitor::createContainer() {
  std::string pidFile = options_.stateFile + ".pid";
  auto status = runRuntime(
      {"create", "--bundle", options_.bundle, "--pid-file", pidFile, options_.containerId},
      kRuntimeTimeout);
  if (!status) return fail(std::move(status).error());
  if (!status->success()) {
    auto text = readFileAt(AT_FDCWD, options_.runtimeLog);
    return failInvalid("create container '" + options_.containerId + "' (" + status->describe() +
                       "): " + lastRuntimeError(text.value_or("")));
  }
  auto pid = readPidFile(pidFile);
  if (!pid) return fail(std::move(pid).error());
  state_.pid = *pid;
  return {};
}

void Monitor::watchOomCounter() {
  auto cgroup = readMemoryCgroup(state_.pid, options_.procRoot);
  if (!cgroup) return log("spacelet: monitor: no OOM detection: " + cgroup.error().message);
  auto kills = readOomKills(*cgroup, options_.cgroupRoot);
  if (!kills) return log("spacelet: monitor: no OOM detection: " + kills.error().message);
  memoryCgroup_ = *cgroup;
  oomKillsAtStart_ = *kills;
}

Result<void> Monitor::startContainer() {
  auto status = runRuntime({"start", options_.containerId}, kRuntimeTimeout);
  if (!status) return fail(std::move(status).error());
  if (!status->success()) {
    auto text = readFileAt(AT_FDCWD, options_.runtimeLog);
    return failInvalid("start container '" + options_.containerId + "' (" + status->describe() +
                       "): " + lastRuntimeError(text.value_or("")));
  }
  // Only the container holds the pipe's write end now: its exit closes the stream.
  outputWrite_.reset();
  state_.phase = Phase::kRunning;
  state_.startedAtMs = store::nowMs();
  saveState();
  return {};
}

void Monitor::announce() {
  if (options_.readyFd < 0) return;
  (void)writeAll(options_.readyFd, toJson(state_));
  ::close(options_.readyFd);
  options_.readyFd = -1;
}

Result<void> Monitor::superviseUntilExit() {
  handleChildren();  // init may have exited before we got here
  while (!exited_) {
    struct pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {outputRead_.get(), POLLIN, 0}};
    int n = ::poll(fds, outputRead_ ? 2 : 1, -1);
    if (n < 0 && errno != EINTR) return failErrno(errno, "poll");
    if (fds[1].revents) pumpOutput();
    if (fds[0].revents) {
      struct signalfd_siginfo info;
      while (::read(signals_.get(), &info, sizeof info) > 0) {
      }
      handleChildren();
    }
  }
  drainOutput(kDrainAfterExit);
  return {};
}

// Reaps every exited child (orphans of the runtime included); the container's init ends
// supervision.
void Monitor::handleChildren() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == state_.pid) recordExit(status);
  }
}

void Monitor::pumpOutput() {
  char buf[16384];
  ssize_t n = ::read(outputRead_.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    splitter_.finish([this](std::string_view line) { log(line); });
    outputRead_.reset();
    return;
  }
  splitter_.feed(std::string_view(buf, static_cast<size_t>(n)),
                 [this](std::string_view line) { log(line); });
}

// After init exited, the rest of the output (its namespace's processes are gone, so the pipe
// closes), bounded in time in case something outside the namespace still holds it.
void Monitor::drainOutput(std::chrono::milliseconds budget) {
  auto deadline = std::chrono::steady_clock::now() + budget;
  while (outputRead_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    struct pollfd pfd = {outputRead_.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    pumpOutput();
  }
  splitter_.finish([this](std::string_view line) { log(line); });
}

void Monitor::recordExit(int status) {
  exited_ = true;
  state_.phase = Phase::kExited;
  state_.exitedAtMs = store::nowMs();
  state_.signaled = WIFSIGNALED(status);
  state_.exitValue = state_.signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  if (memoryCgroup_) {
    auto kills = readOomKills(*memoryCgroup_, options_.cgroupRoot);
    state_.oomKilled = kills && *kills > oomKillsAtStart_;
  }
  saveState();
}

void Monitor::recordFailure(const Error& error) {
  state_.phase = Phase::kFailed;
  state_.error = error.message;
  state_.exitedAtMs = store::nowMs();
  log("spacelet: " + error.message);
  saveState();
  announce();
}

void Monitor::deleteContainer() {
  if (!options_.deleteOnExit) return;
  auto status = runRuntime({"delete", "--force", options_.containerId}, kRuntimeTimeout);
  if (!status) {
    log("spacelet: monitor: delete container '" + options_.containerId +
        "': " + status.error().message);
  } else if (!status->success()) {
    auto text = readFileAt(AT_FDCWD, options_.runtimeLog);
    log("spacelet: monitor: delete container '" + options_.containerId + "' (" +
        status->describe() + "): " + lastRuntimeError(text.value_or("")));
  }
}

void Monitor::log(std::string_view line) {
  if (log_) (void)log_->append(line);
}

void Monitor::saveState() {
  if (auto ok = writeState(options_.stateFile, state_); !ok) {
    log("spacelet: monitor: " + ok.error().message);
  }
}

}  // namespace spacelet::agent::monitor
