// Loading an existing container (see loaded.h).
#include "sandbox/container/loaded.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/spec/parse.h"
#include "spacelet/base/file_io.h"

namespace spacelet::sandbox::container {

using state::Status;

std::optional<uint64_t> processStartTime(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = readFileAt(AT_FDCWD, "/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto stat = state::parseProcStat(*text);
  if (!stat || stat->state == 'Z' || stat->state == 'X') return std::nullopt;
  return stat->startTime;
}

cgroup::Options cgroupOptions(const GlobalOptions& global, const std::string& id,
                              const std::string& cgroupsPath) {
  cgroup::Options options;
  options.containerId = id;
  options.cgroupsPath = cgroupsPath;
  options.systemd = global.systemdCgroup;
  options.root = global.cgroupRoot;
  return options;
}

Result<std::unique_ptr<cgroup::Manager>> reopenCgroup(const GlobalOptions& global,
                                                      const state::ContainerState& s) {
  GlobalOptions own = global;
  own.systemdCgroup = s.systemdCgroup;
  auto manager = cgroup::reopen(cgroupOptions(own, s.id, ""), s.cgroupPath);
  if (!manager) return fail(std::move(manager).error().withContext("reopen the cgroup"));
  return manager;
}

Result<Loaded> loadContainer(const GlobalOptions& global, const std::string& id, bool exclusive) {
  auto store = state::Store::open(global.root);
  if (!store) return fail(std::move(store).error());
  auto dir = store->openContainer(id, exclusive);
  if (!dir) return fail(std::move(dir).error());
  Loaded loaded{std::move(*store), std::move(*dir), {}, Status::kCreating};
  loaded.state.id = id;
  state::Observation seen;
  seen.stateWritten = state::Store::exists(loaded.dir.get(), state::kStateFile);
  if (!seen.stateWritten) return loaded;
  auto s = state::Store::load(loaded.dir.get());
  if (!s) return fail(std::move(s).error().withContext("read state of container '" + id + "'"));
  loaded.state = std::move(*s);
  seen.initAlive = processStartTime(loaded.state.pid) == loaded.state.pidStartTime;
  seen.execFifoPresent = state::Store::exists(loaded.dir.get(), state::kExecFifo);
  if (seen.initAlive && !seen.execFifoPresent) {
    auto manager = reopenCgroup(global, loaded.state);
    if (manager) seen.frozen = (*manager)->frozen().value_or(false);
  }
  loaded.status = state::deriveStatus(seen);
  return loaded;
}

Result<void> requireStatus(const Loaded& loaded, std::initializer_list<Status> allowed,
                           const std::string& action) {
  for (Status status : allowed) {
    if (loaded.status == status) return {};
  }
  std::string wanted;
  for (Status status : allowed) {
    wanted += (wanted.empty() ? "" : " or ") + std::string(state::statusName(status));
  }
  return failInvalid("cannot " + action + " container '" + loaded.state.id + "': it is " +
                     std::string(state::statusName(loaded.status)) + " (needs to be " + wanted +
                     ")");
}

Result<UniqueFd> openInitPidfd(const state::ContainerState& s) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, s.pid, 0));
  if (fd < 0) return failErrno(errno, "container '" + s.id + "' is not running");
  UniqueFd pidfd(fd);
  // Checked after opening: the pidfd now pins this exact process.
  if (processStartTime(s.pid) != s.pidStartTime) {
    return failErrno(ESRCH, "container '" + s.id + "' is not running (its init has exited)");
  }
  return pidfd;
}

Result<spec::Spec> loadStoredConfig(int dirFd) {
  auto text = readFileAt(dirFd, state::kConfigFile);
  if (!text) return fail(std::move(text).error().withContext("read the stored config.json"));
  return spec::parseConfig(*text);
}

Result<void> writePidFile(const std::string& path, pid_t pid) {
  SPACELET_TRY_CONTEXT(state::replaceFileAt(AT_FDCWD, path, std::to_string(pid), 0644),
                       "write --pid-file");
  return {};
}

Result<void> waitForExit(int pidfd, int timeoutMs) {
  struct pollfd p {
    pidfd, POLLIN, 0
  };
  int n;
  while ((n = ::poll(&p, 1, timeoutMs)) < 0 && errno == EINTR) {
  }
  if (n < 0) return failErrno(errno, "wait for the container's init to exit");
  if (n == 0) return failErrno(ETIMEDOUT, "wait for the container's init to exit");
  return {};
}

}  // namespace spacelet::sandbox::container
