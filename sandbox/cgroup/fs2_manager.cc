// The cgroup v2 fs driver (see fs2_manager.h).
#include "fs2_manager.h"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "cgroup_fs.h"
#include "controllers.h"
#include "device_bpf.h"
#include "hierarchy.h"
#include "spacelet/base/file_io.h"
#include "v2_plan.h"

namespace spacelet::sandbox::cgroup {
Fs2Manager::Fs2Manager(UniqueFd rootFd, Fs2Location location, Options options)
    : rootFd_(std::move(rootFd)), location_(std::move(location)), options_(std::move(options)) {}

Result<int> Fs2Manager::dir() {
  if (!dirFd_) SPACELET_TRY(attach());
  return dirFd_.get();
}

Result<void> Fs2Manager::attach() {
  auto fd = openCgroupDir(rootFd_.get(), location_.path);
  SPACELET_TRY(fd);
  dirFd_ = std::move(*fd);
  return {};
}

Result<void> Fs2Manager::adopt(pid_t pid) {
  SPACELET_TRY(makeCgroupDirs(rootFd_.get(), location_.path));
  SPACELET_TRY(attach());
  return addProcess(pid);
}

Result<void> Fs2Manager::create(const Resources& resources) {
  auto created = makeCgroupDirs(rootFd_.get(), location_.path);
  SPACELET_TRY(created);
  auto done = setUp(resources, *created);
  if (!done) {
    // Leave nothing behind: the directories this call made, innermost first.
    dirFd_.reset();
    for (auto it = created->rbegin(); it != created->rend(); ++it) {
      ::unlinkat(rootFd_.get(), relativeTo(*it).c_str(), AT_REMOVEDIR);
    }
    return fail(std::move(done).error().withContext("cgroup '" + location_.path + "'"));
  }
  return {};
}

Result<void> Fs2Manager::setUp(const Resources& resources,
                               const std::vector<std::string>& created) {
  SPACELET_TRY(enableControllers(rootFd_.get(), location_.path, location_.own, created,
                                 neededControllersV2(resources), /*wantAll=*/true));
  SPACELET_TRY(attach());
  return apply(resources);
}

Result<void> Fs2Manager::apply(const Resources& resources) {
  auto fd = dir();
  SPACELET_TRY(fd);
  V2Context ctx;
  auto controllers = readFileAt(*fd, "cgroup.controllers");
  SPACELET_TRY(controllers);
  ctx.controllers = parseControllerList(*controllers);
  ctx.fileState = [fd = *fd](const std::string& file) { return fileStateAt(fd, file); };
  if (resources.memory && resources.memory->checkBeforeUpdate.value_or(false)) {
    auto current = readOptionalNumber(*fd, "memory.current");
    SPACELET_TRY(current);
    ctx.memoryCurrent = *current;
  }
  auto writes = planV2(resources, ctx);
  SPACELET_TRY(writes);
  SPACELET_TRY(applyWrites(*fd, *writes));
  if (!resources.devices.empty()) {
    SPACELET_TRY_CONTEXT(installDeviceFilter(*fd, resources.devices), "linux.resources.devices");
  }
  return {};
}

Result<void> Fs2Manager::addProcess(pid_t pid) {
  auto fd = dir();
  SPACELET_TRY(fd);
  SPACELET_TRY_CONTEXT(writePid(*fd, pid), "move process " + std::to_string(pid) +
                                               " into cgroup '" + location_.path + "'");
  return {};
}

Result<void> Fs2Manager::update(const Resources& resources) {
  SPACELET_TRY_CONTEXT(apply(resources), "update cgroup '" + location_.path + "'");
  return {};
}

Result<void> Fs2Manager::setFrozen(bool frozen) {
  auto fd = dir();
  SPACELET_TRY(fd);
  SPACELET_TRY(writeFileAt(*fd, "cgroup.freeze", frozen ? "1" : "0"));
  // Freezing is asynchronous: cgroup.events says "frozen 1" once every task has stopped.
  auto settled = waitUntil(options_.freezeTimeoutMs, [&]() -> Result<bool> {
    auto state = readKeyedValue(*fd, "cgroup.events", "frozen");
    SPACELET_TRY(state);
    return state->value_or(0) == (frozen ? 1u : 0u);
  });
  SPACELET_TRY(settled);
  if (*settled) return {};
  if (frozen) (void)writeFileAt(*fd, "cgroup.freeze", "0");
  return failErrno(ETIMEDOUT, std::string(frozen ? "freeze" : "thaw") + " cgroup '" +
                                  location_.path + "' within " +
                                  std::to_string(options_.freezeTimeoutMs) + " ms");
}

Result<void> Fs2Manager::freeze() {
  return setFrozen(true);
}
Result<void> Fs2Manager::thaw() {
  return setFrozen(false);
}

Result<bool> Fs2Manager::frozen() {
  auto fd = dir();
  SPACELET_TRY(fd);
  auto value = readTrimmed(*fd, "cgroup.freeze");
  SPACELET_TRY(value);
  return *value == "1";
}

Result<std::vector<pid_t>> Fs2Manager::pids() {
  auto fd = dir();
  SPACELET_TRY(fd);
  return readProcsRecursive(*fd);
}

Result<void> Fs2Manager::signalEach(int signal) {
  // Freeze first so that nothing forks between listing and signalling.
  auto wasFrozen = frozen();
  SPACELET_TRY(wasFrozen);
  if (!*wasFrozen) SPACELET_TRY(freeze());
  auto all = pids();
  for (pid_t pid : all ? *all : std::vector<pid_t>()) ::kill(pid, signal);
  if (!*wasFrozen) SPACELET_TRY(thaw());
  if (!all) return fail(std::move(all).error());
  return {};
}

Result<void> Fs2Manager::killAll(int signal) {
  auto fd = dir();
  SPACELET_TRY(fd);
  if (signal == SIGKILL) {
    auto killed = writeFileAt(*fd, "cgroup.kill", "1");
    if (killed || killed.error().code != ENOENT) return killed;
    // COMPAT(linux<5.14): no cgroup.kill; signal every process instead.
  }
  return signalEach(signal);
}

Result<Stats> Fs2Manager::stats() {
  auto fd = dir();
  SPACELET_TRY(fd);
  Stats s;
  auto oom = readOptionalKeyed(*fd, "memory.events", "oom_kill");
  SPACELET_TRY(oom);
  s.oomKills = oom->value_or(0);
  auto current = readOptionalNumber(*fd, "memory.current");
  SPACELET_TRY(current);
  s.memoryCurrent = current->value_or(0);
  auto max = readOptionalNumber(*fd, "memory.max");
  SPACELET_TRY(max);
  if (*max) s.memoryMax = static_cast<int64_t>(**max);
  auto tasks = readOptionalNumber(*fd, "pids.current");
  SPACELET_TRY(tasks);
  s.pidsCurrent = tasks->value_or(0);
  auto usage = readOptionalKeyed(*fd, "cpu.stat", "usage_usec");
  SPACELET_TRY(usage);
  s.cpuUsageUsec = usage->value_or(0);
  return s;
}

Result<void> Fs2Manager::destroy() {
  dirFd_.reset();
  SPACELET_TRY(removeCgroupTree(rootFd_.get(), location_.path, options_.removeTimeoutMs));
  pruneEmptyParents(rootFd_.get(), location_.path, location_.floor);
  return {};
}

std::string Fs2Manager::persistentPath() const {
  return nlohmann::json{{"driver", "fs2"},
                        {"path", location_.path},
                        {"own", location_.own},
                        {"floor", location_.floor}}
      .dump();
}

Result<UniqueFd> Fs2Manager::cgroupDirFd() {
  auto fd = dir();
  SPACELET_TRY(fd);
  return dirFd_.dup();
}

}  // namespace spacelet::sandbox::cgroup
