// The v1 / hybrid driver (see fs1_manager.h).
#include "fs1_manager.h"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "cgroup_fs.h"
#include "controllers.h"
#include "spacelet/base/file_io.h"
#include "unified_keys.h"

namespace spacelet::sandbox::cgroup {
namespace {

// memory.limit_in_bytes reads as a page-rounded INT64_MAX when unlimited.
constexpr uint64_t kUnlimitedFloor = uint64_t{1} << 62;

const char* modeName(Mode mode) {
  return mode == Mode::kHybrid ? "hybrid" : "legacy";
}

std::set<std::string> unifiedNeeds(const Resources& r, const std::set<std::string>& v1) {
  std::set<std::string> needed;
  if (!r.hugepageLimits.empty() && !v1.count("hugetlb")) needed.insert("hugetlb");
  for (const auto& [key, value] : r.unified) {
    std::string controller = controllerOf(key);
    if (!controller.empty() && controller != "cgroup" && !v1.count(controller)) {
      needed.insert(controller);
    }
  }
  return needed;
}

}  // namespace

Fs1Manager::Fs1Manager(UniqueFd rootFd, Mode mode, std::vector<V1Dir> dirs, Options options)
    : rootFd_(std::move(rootFd)),
      mode_(mode),
      dirs_(std::move(dirs)),
      options_(std::move(options)),
      open_(dirs_.size()),
      created_(dirs_.size()) {}

Result<void> Fs1Manager::openAll() {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    Open& o = open_[i];
    if (!o.mountFd) {
      auto fd = openAt(rootFd_.get(), dirs_[i].mount, O_RDONLY | O_DIRECTORY);
      SPACELET_TRY_CONTEXT(fd, "cgroup hierarchy '" + dirs_[i].mount + "'");
      o.mountFd = std::move(*fd);
    }
    if (!o.dirFd) {
      auto fd = openCgroupDir(o.mountFd.get(), dirs_[i].path);
      SPACELET_TRY_CONTEXT(fd, dirs_[i].mount);
      o.dirFd = std::move(*fd);
    }
  }
  return {};
}

int Fs1Manager::dirOf(const std::string& controller) const {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    bool match = dirs_[i].unified ? controller == kUnifiedHierarchy
                                  : dirs_[i].controllers.count(controller) > 0;
    if (match) return open_[i].dirFd.get();
  }
  return -1;
}

Result<void> Fs1Manager::create(const Resources& resources) {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    auto mountFd = openAt(rootFd_.get(), dirs_[i].mount, O_RDONLY | O_DIRECTORY);
    SPACELET_TRY_CONTEXT(mountFd, "cgroup hierarchy '" + dirs_[i].mount + "'");
    open_[i].mountFd = std::move(*mountFd);
    auto created = makeCgroupDirs(open_[i].mountFd.get(), dirs_[i].path);
    if (!created) {
      rollback();
      return fail(std::move(created).error().withContext(dirs_[i].mount));
    }
    created_[i] = std::move(*created);
  }
  auto done = setUp(resources);
  if (!done) {
    rollback();
    return fail(std::move(done).error().withContext("cgroup '" + dirs_.front().path + "'"));
  }
  return {};
}

void Fs1Manager::rollback() {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    open_[i].dirFd.reset();
    if (!open_[i].mountFd) continue;
    for (auto it = created_[i].rbegin(); it != created_[i].rend(); ++it) {
      ::unlinkat(open_[i].mountFd.get(), relativeTo(*it).c_str(), AT_REMOVEDIR);
    }
    created_[i].clear();
  }
}

Result<void> Fs1Manager::setUp(const Resources& resources) {
  SPACELET_TRY(openAll());
  SPACELET_TRY(seedCpusets());
  SPACELET_TRY(enableUnifiedControllers(resources));
  return apply(resources);
}

// A new v1 cpuset has empty cpus and mems and refuses tasks: copy the parent's into each
// directory this call created, outermost first.
Result<void> Fs1Manager::seedCpusets() {
  for (size_t i = 0; i < dirs_.size(); ++i) {
    if (!dirs_[i].controllers.count("cpuset")) continue;
    for (const std::string& path : created_[i]) {
      std::string parent = path.substr(0, path.rfind('/'));
      auto parentFd = openCgroupDir(open_[i].mountFd.get(), parent.empty() ? "/" : parent);
      SPACELET_TRY(parentFd);
      auto fd = openCgroupDir(open_[i].mountFd.get(), path);
      SPACELET_TRY(fd);
      for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        auto value = readTrimmed(parentFd->get(), file);
        SPACELET_TRY(value);
        SPACELET_TRY(writeFileAt(fd->get(), file, *value));
      }
    }
  }
  return {};
}

Result<void> Fs1Manager::enableUnifiedControllers(const Resources& resources) {
  std::set<std::string> v1;
  for (const V1Dir& d : dirs_) v1.insert(d.controllers.begin(), d.controllers.end());
  std::set<std::string> needed = unifiedNeeds(resources, v1);
  if (needed.empty()) return {};
  for (size_t i = 0; i < dirs_.size(); ++i) {
    if (!dirs_[i].unified) continue;
    // Only what the limits need: on a hybrid host the v2 root is the whole machine's.
    return enableControllers(open_[i].mountFd.get(), dirs_[i].path, dirs_[i].own, created_[i],
                             needed, /*wantAll=*/false);
  }
  return {};
}

Result<V1Context> Fs1Manager::context(const Resources& r) {
  V1Context ctx;
  for (const V1Dir& d : dirs_) ctx.hierarchies.insert(d.controllers.begin(), d.controllers.end());
  if (int fd = dirOf(kUnifiedHierarchy); fd >= 0) {
    auto controllers = readFileAt(fd, "cgroup.controllers");
    SPACELET_TRY(controllers);
    ctx.unifiedControllers = parseControllerList(*controllers);
  }
  ctx.fileState = [this](const std::string& h, const std::string& file) {
    int fd = dirOf(h);
    return fd < 0 ? FileState::kAbsent : fileStateAt(fd, file);
  };
  int memory = dirOf("memory");
  if (memory >= 0 && r.memory) {
    auto limit = readOptionalNumber(memory, "memory.limit_in_bytes");
    SPACELET_TRY(limit);
    if (*limit && **limit < kUnlimitedFloor) ctx.currentMemoryLimit = static_cast<int64_t>(**limit);
    if (r.memory->checkBeforeUpdate.value_or(false)) {
      auto usage = readOptionalNumber(memory, "memory.usage_in_bytes");
      SPACELET_TRY(usage);
      ctx.memoryUsage = *usage;
    }
  }
  return ctx;
}

Result<void> Fs1Manager::apply(const Resources& resources) {
  auto ctx = context(resources);
  SPACELET_TRY(ctx);
  auto writes = planV1(resources, *ctx);
  SPACELET_TRY(writes);
  for (const Write& w : *writes) {
    SPACELET_TRY(applyWrites(dirOf(w.hierarchy), {w}));
  }
  return {};
}

Result<void> Fs1Manager::addProcess(pid_t pid) {
  SPACELET_TRY(openAll());
  for (size_t i = 0; i < dirs_.size(); ++i) {
    SPACELET_TRY_CONTEXT(writePid(open_[i].dirFd.get(), pid),
                         "move process " + std::to_string(pid) + " into cgroup '" + dirs_[i].mount +
                             dirs_[i].path + "'");
  }
  return {};
}

Result<Manager::SelfJoin> Fs1Manager::selfJoin() {
  SPACELET_TRY(openAll());
  SelfJoin join;
  for (size_t i = 0; i < dirs_.size(); ++i) {
    std::string where = "cgroup '" + dirs_[i].mount + dirs_[i].path + "'";
    if (dirs_[i].unified) {
      auto dir = openAt(open_[i].dirFd.get(), ".", O_RDONLY | O_DIRECTORY);
      SPACELET_TRY_CONTEXT(dir, where);
      join.cloneInto = std::move(*dir);
      continue;
    }
    auto tasks = openAt(open_[i].dirFd.get(), "tasks", O_WRONLY);
    SPACELET_TRY_CONTEXT(tasks, where);
    join.tasksFiles.push_back(std::move(*tasks));
  }
  return join;
}

Result<void> Fs1Manager::update(const Resources& resources) {
  SPACELET_TRY(openAll());
  SPACELET_TRY_CONTEXT(apply(resources), "update cgroup '" + dirs_.front().path + "'");
  return {};
}

Result<void> Fs1Manager::setFreezerState(const char* state) {
  SPACELET_TRY(openAll());
  int fd = dirOf("freezer");
  if (fd < 0) return failInvalid("the freezer cgroup controller is not mounted; pause needs it");
  SPACELET_TRY(writeFileAt(fd, "freezer.state", state));
  // FREEZING turns into FROZEN once every task has stopped; reading the file advances it.
  auto settled = waitUntil(options_.freezeTimeoutMs, [&]() -> Result<bool> {
    auto now = readTrimmed(fd, "freezer.state");
    SPACELET_TRY(now);
    return *now == state;
  });
  SPACELET_TRY(settled);
  if (*settled) return {};
  if (std::string(state) == "FROZEN") (void)writeFileAt(fd, "freezer.state", "THAWED");
  return failErrno(ETIMEDOUT, std::string("set freezer.state to ") + state + " within " +
                                  std::to_string(options_.freezeTimeoutMs) + " ms");
}

Result<void> Fs1Manager::freeze() {
  return setFreezerState("FROZEN");
}
Result<void> Fs1Manager::thaw() {
  return setFreezerState("THAWED");
}

Result<bool> Fs1Manager::frozen() {
  SPACELET_TRY(openAll());
  int fd = dirOf("freezer");
  if (fd < 0) return false;
  auto state = readTrimmed(fd, "freezer.state");
  SPACELET_TRY(state);
  return *state != "THAWED";
}

Result<std::vector<pid_t>> Fs1Manager::pids() {
  SPACELET_TRY(openAll());
  for (const char* controller : {"freezer", "pids", "memory", "cpu"}) {
    if (int fd = dirOf(controller); fd >= 0) return readProcsRecursive(fd);
  }
  return readProcsRecursive(open_.front().dirFd.get());
}

Result<void> Fs1Manager::signalEach(int signal) {
  auto wasFrozen = frozen();
  SPACELET_TRY(wasFrozen);
  bool canFreeze = dirOf("freezer") >= 0;
  // Frozen, nothing can fork between listing and signalling.
  if (canFreeze && !*wasFrozen) SPACELET_TRY(freeze());
  auto all = pids();
  for (pid_t pid : all ? *all : std::vector<pid_t>()) ::kill(pid, signal);
  // v1 frozen tasks act on SIGKILL only once thawed.
  if (canFreeze && (!*wasFrozen || signal == SIGKILL)) SPACELET_TRY(thaw());
  if (!all) return fail(std::move(all).error());
  return {};
}

Result<void> Fs1Manager::killAll(int signal) {
  SPACELET_TRY(openAll());
  int unified = dirOf(kUnifiedHierarchy);
  if (signal == SIGKILL && unified >= 0) {
    // Hybrid: the container's processes are in the v2 directory too, so cgroup.kill works.
    auto killed = writeFileAt(unified, "cgroup.kill", "1");
    if (killed) {
      // v1 frozen tasks hold the SIGKILL until thawed.
      auto paused = frozen();
      SPACELET_TRY(paused);
      if (*paused) SPACELET_TRY(thaw());
      return {};
    }
    // COMPAT(linux<5.14): no cgroup.kill; signal every process instead.
    if (killed.error().code != ENOENT) return killed;
  }
  return signalEach(signal);
}

Result<Stats> Fs1Manager::stats() {
  SPACELET_TRY(openAll());
  Stats s;
  if (int fd = dirOf("memory"); fd >= 0) {
    auto oom = readOptionalKeyed(fd, "memory.oom_control", "oom_kill");
    SPACELET_TRY(oom);
    s.oomKills = oom->value_or(0);
    auto usage = readOptionalNumber(fd, "memory.usage_in_bytes");
    SPACELET_TRY(usage);
    s.memoryCurrent = usage->value_or(0);
    auto limit = readOptionalNumber(fd, "memory.limit_in_bytes");
    SPACELET_TRY(limit);
    if (*limit && **limit < kUnlimitedFloor) s.memoryMax = static_cast<int64_t>(**limit);
  }
  if (int fd = dirOf("pids"); fd >= 0) {
    auto current = readOptionalNumber(fd, "pids.current");
    SPACELET_TRY(current);
    s.pidsCurrent = current->value_or(0);
  }
  if (int fd = dirOf("cpuacct"); fd >= 0) {
    auto usage = readOptionalNumber(fd, "cpuacct.usage");  // nanoseconds
    SPACELET_TRY(usage);
    s.cpuUsageUsec = usage->value_or(0) / 1000;
  }
  return s;
}

Result<void> Fs1Manager::destroy() {
  Result<void> result;
  for (size_t i = 0; i < dirs_.size(); ++i) {
    open_[i].dirFd.reset();
    if (!open_[i].mountFd) {
      auto fd = openAt(rootFd_.get(), dirs_[i].mount, O_RDONLY | O_DIRECTORY);
      if (!fd) continue;  // the hierarchy is gone, and so is the cgroup
      open_[i].mountFd = std::move(*fd);
    }
    int mountFd = open_[i].mountFd.get();
    auto removed = removeCgroupTree(mountFd, dirs_[i].path, options_.removeTimeoutMs);
    if (!removed && result) result = fail(std::move(removed).error().withContext(dirs_[i].mount));
    if (removed) pruneEmptyParents(mountFd, dirs_[i].path, dirs_[i].floor);
  }
  return result;
}

std::string Fs1Manager::persistentPath() const {
  nlohmann::json dirs = nlohmann::json::array();
  for (const V1Dir& d : dirs_) {
    dirs.push_back({{"mount", d.mount},
                    {"unified", d.unified},
                    {"path", d.path},
                    {"own", d.own},
                    {"floor", d.floor}});
  }
  return nlohmann::json{{"driver", "fs1"}, {"mode", modeName(mode_)}, {"dirs", dirs}}.dump();
}

}  // namespace spacelet::sandbox::cgroup
