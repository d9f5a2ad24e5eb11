// `spacelet-run create`: bundle -> validated spec -> state directory -> cgroup -> plan ->
// clone -> init waiting for start -> state.json. A failure at any step undoes the earlier
// ones (processes killed and reaped, cgroup removed, state directory deleted).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/container/creation.h"
#include "sandbox/container/init_planner.h"
#include "sandbox/container/loaded.h"
#include "sandbox/linux/console.h"
#include "sandbox/linux/devices.h"
#include "sandbox/linux/idmap.h"
#include "sandbox/linux/process_attributes.h"
#include "sandbox/spec/parse.h"
#include "sandbox/spec/validate.h"
#include "spacelet/base/file_io.h"
#include "spacelet/base/log.h"

namespace spacelet::sandbox::container {
namespace {

// Undoes a half-made container unless disarmed: kills and reaps its processes first, then
// removes the cgroup and the state directory.
class Rollback {
 public:
  explicit Rollback(Created& created) : created_(created) {}
  ~Rollback() {
    if (!armed_) return;
    created_.spawned.process.kill();
    if (created_.cgroup != nullptr) {
      (void)created_.cgroup->killAll(SIGKILL);
      (void)created_.cgroup->destroy();
    }
    (void)created_.store.remove(created_.state.id);
  }
  void disarm() { armed_ = false; }

 private:
  Created& created_;
  bool armed_ = true;
};

struct LoadedBundle {
  std::string configText;
  spec::Spec spec;
  BundlePaths paths;
};

Result<LoadedBundle> loadBundle(const std::string& bundle) {
  auto text = readFileAt(AT_FDCWD, bundle + "/config.json");
  if (!text) {
    return fail(std::move(text).error().withContext("bundle '" + bundle +
                                                    "' (pass --bundle DIR with a config.json)"));
  }
  auto spec = spec::parseConfig(*text);
  if (!spec) return fail(std::move(spec).error());
  auto valid = spec::validate(*spec);
  if (!valid) return fail(std::move(valid).error().withContext("config.json"));
  auto paths = resolveBundle(bundle, *spec);
  if (!paths) return fail(std::move(paths).error());
  return LoadedBundle{std::move(*text), std::move(*spec), std::move(*paths)};
}

cgroup::Resources resourcesFor(const spec::Spec& spec) {
  cgroup::Resources resources = spec.linux.resources.value_or(cgroup::Resources{});
  for (auto& rule : cgroup::defaultAllowedDevices()) resources.devices.push_back(rule);
  for (auto& rule : linux::deviceAllowRules(spec)) resources.devices.push_back(rule);
  return resources;
}

// exec.fifo: the init opens it for writing, after switching to the container user, so
// anyone may write it; the state directory (0711) under the 0700 root keeps others out.
Result<void> makeExecFifo(int dirFd) {
  if (::mkfifoat(dirFd, state::kExecFifo, 0622) != 0) return failErrno(errno, "create exec.fifo");
  if (::fchmodat(dirFd, state::kExecFifo, 0622, 0) != 0) return failErrno(errno, "chmod exec.fifo");
  return {};
}

state::ContainerState initialState(const CreateOptions& options, const LoadedBundle& bundle,
                                   const GlobalOptions& global) {
  state::ContainerState s;
  s.id = options.id;
  s.bundle = bundle.paths.bundle;
  s.rootfs = bundle.paths.rootfs;
  s.created = state::nowRfc3339();
  s.owner = ::geteuid();
  s.annotations = bundle.spec.annotations;
  s.systemdCgroup = global.systemdCgroup;
  return s;
}

process::SpawnCallbacks callbacksFor(const spec::Spec& spec, cgroup::Manager& cg,
                                     state::ContainerState& s, const spec::Hooks* runtime) {
  process::SpawnCallbacks cb;
  cb.joinCgroup = [&cg](pid_t pid) { return cg.addProcess(pid); };
  cb.uidMap = linux::formatIdMap(spec.linux.uidMappings);
  cb.gidMap = linux::formatIdMap(spec.linux.gidMappings);
  cb.configure = [&spec](pid_t pid) -> Result<void> {
    SPACELET_TRY(linux::applyRlimits(pid, spec.process->rlimits));
    if (spec.process->oomScoreAdj)
      SPACELET_TRY(linux::setOomScoreAdj(pid, *spec.process->oomScoreAdj));
    return {};
  };
  cb.stateJson = [&s](pid_t pid) {
    s.pid = pid;
    std::string both = state::ociState(s, state::Status::kCreating).dump();
    both += '\0';
    return both + state::ociState(s, state::Status::kCreated).dump();
  };
  cb.runtimeHooks = [runtime, &s](pid_t) -> Result<void> {
    std::string json = state::ociState(s, state::Status::kCreating).dump();
    SPACELET_TRY(hooks::runHooks(hooks::prepareHooks(runtime->prestart), json, "prestart"));
    return hooks::runHooks(hooks::prepareHooks(runtime->createRuntime), json, "createRuntime");
  };
  return cb;
}

Result<process::Spawned> spawnContainer(Created& created, const PlanInputs& inputs) {
  auto plan = buildInitPlan(created.spec, inputs);
  if (!plan) return fail(std::move(plan).error());
  auto pair = process::makeSyncPair();
  if (!pair) return fail(std::move(pair).error());
  process::SpawnCallbacks cb =
      callbacksFor(created.spec, *created.cgroup, created.state, &created.spec.hooks);
  // cgroup v2: the intermediate is born in the cgroup; v1 / hybrid: the init joins by
  // itself (cgroup::Manager::selfJoin); otherwise (systemd) the parent moves the init.
  cgroup::Manager::SelfJoin join;
  if (auto dir = created.cgroup->cgroupDirFd()) {
    join.cloneInto = std::move(*dir);
  } else if (auto self = created.cgroup->selfJoin()) {
    join = std::move(*self);
    for (const UniqueFd& fd : join.tasksFiles) plan->cgroupTasksFds.push_back(fd.get());
    cb.joinCgroup = nullptr;
  }
  cb.cgroupFd = join.cloneInto.get();
  return process::spawnInit(*plan, std::move(*pair), cb);
}

Result<UniqueFd> consoleFor(const CreateOptions& options, const spec::Spec& spec) {
  if (!spec.process->terminal) return UniqueFd();
  if (options.consoleSocket.empty()) {
    return failInvalid(
        "process.terminal is true but no --console-socket was given (pass one, "
        "or use 'spacelet-run run' in the foreground)");
  }
  return linux::connectConsoleSocket(options.consoleSocket);
}

}  // namespace

Result<Created> createContainer(const GlobalOptions& global, const CreateOptions& options,
                                StartMode mode, int consoleSocket) {
  auto bundle = loadBundle(options.bundle);
  if (!bundle) return fail(std::move(bundle).error());
  auto store = state::Store::open(global.root);
  if (!store) return fail(std::move(store).error());
  auto dir = store->reserve(options.id);
  if (!dir) return fail(std::move(dir).error());
  Created created{std::move(*store),       std::move(*dir), initialState(options, *bundle, global),
                  std::move(bundle->spec), nullptr,         {}};
  Rollback rollback(created);
  const spec::Spec& spec = created.spec;
  auto cg = cgroup::open(cgroupOptions(global, options.id, spec.linux.cgroupsPath));
  if (!cg) return fail(std::move(cg).error());
  created.cgroup = std::move(*cg);
  SPACELET_TRY_CONTEXT(created.cgroup->create(resourcesFor(spec)), "create the cgroup");
  created.state.cgroupPath = created.cgroup->persistentPath();
  int dirFd = created.dir.get();
  SPACELET_TRY(state::Store::saveConfig(dirFd, bundle->configText));
  if (mode == StartMode::kFifo) SPACELET_TRY(makeExecFifo(dirFd));
  auto console = consoleSocket >= 0 ? Result<UniqueFd>(UniqueFd()) : consoleFor(options, spec);
  if (!console) return fail(std::move(console).error());
  // The init gets its own fd of the directory for the fifo; the locked one stays here.
  auto fifoDir = openAt(dirFd, ".", O_PATH | O_DIRECTORY);
  if (!fifoDir) return fail(std::move(fifoDir).error());
  PlanInputs inputs{bundle->paths.bundle,
                    bundle->paths.rootfs,
                    options.noPivot,
                    !options.noNewKeyring,
                    options.preserveFds,
                    consoleSocket >= 0 ? consoleSocket : console->get(),
                    mode == StartMode::kFifo ? fifoDir->get() : -1,
                    dirFd};
  auto spawned = spawnContainer(created, inputs);
  if (!spawned) return fail(std::move(spawned).error());
  created.spawned = std::move(*spawned);
  created.state.pid = created.spawned.process.pid();
  created.state.pidStartTime = processStartTime(created.state.pid).value_or(0);
  SPACELET_TRY(state::Store::save(dirFd, created.state));
  if (!options.pidFile.empty()) SPACELET_TRY(writePidFile(options.pidFile, created.state.pid));
  rollback.disarm();
  return created;
}

Result<void> create(const GlobalOptions& global, const CreateOptions& options) {
  auto created = createContainer(global, options, StartMode::kFifo, -1);
  if (!created) return fail(std::move(created).error());
  // The init outlives this process: it is reparented to the caller's subreaper (conmon,
  // a containerd shim, spaceletd's monitor) or to pid 1 when spacelet-run exits.
  created->spawned.process.release();
  return {};
}

}  // namespace spacelet::sandbox::container
