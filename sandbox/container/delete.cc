// `spacelet-run delete`: a stopped or created container is removed; a running or paused
// one only with --force, which kills every process in its cgroup first. Removal order:
// leftover processes, the cgroup, poststop hooks (runtime-spec: after the container is
// deleted, before delete returns), the state directory.
#include <signal.h>
#include <sys/syscall.h>

#include "sandbox/container/creation.h"
#include "sandbox/container/loaded.h"
#include "spacelet/base/log.h"

namespace spacelet::sandbox::container {
namespace {

constexpr int kKillWaitMs = 10000;

Result<void> killInit(const GlobalOptions& global, const Loaded& loaded) {
  auto pidfd = openInitPidfd(loaded.state);
  if (!pidfd) return {};  // already gone
  auto cg = reopenCgroup(global, loaded.state);
  if (cg) {
    (void)(*cg)->killAll(SIGKILL);
    // A frozen task does not die until thawed.
    if (loaded.status == state::Status::kPaused) (void)(*cg)->thaw();
  }
  ::syscall(SYS_pidfd_send_signal, pidfd->get(), SIGKILL, nullptr, 0);
  return waitForExit(pidfd->get(), kKillWaitMs);
}

}  // namespace

Result<void> destroyContainer(const GlobalOptions& global, const state::Store& store,
                              const state::ContainerState& s, int dirFd) {
  if (!s.cgroupPath.empty()) {
    auto cg = reopenCgroup(global, s);
    if (!cg) return fail(std::move(cg).error());
    (void)(*cg)->killAll(SIGKILL);
    SPACELET_TRY_CONTEXT((*cg)->destroy(), "remove the cgroup of container '" + s.id + "'");
  }
  auto spec = loadStoredConfig(dirFd);
  if (spec && !spec->hooks.poststop.empty()) {
    std::string json = state::ociState(s, state::Status::kStopped).dump();
    auto ran = hooks::runHooks(hooks::prepareHooks(spec->hooks.poststop), json, "poststop");
    if (!ran) log::warning("container '" + s.id + "': " + ran.error().message);
  }
  return store.remove(s.id);
}

Result<void> remove(const GlobalOptions& global, const std::string& id, bool force) {
  auto loaded = loadContainer(global, id, true);
  // As runc: --force on a container that is already gone is not an error.
  if (!loaded && force && loaded.error().code == ENOENT) return {};
  if (!loaded) return fail(std::move(loaded).error());
  using state::Status;
  if (loaded->status == Status::kCreating) return loaded->store.remove(id);
  if ((loaded->status == Status::kRunning || loaded->status == Status::kPaused) && !force) {
    return failInvalid(
        "container '" + id + "' is " + std::string(state::statusName(loaded->status)) +
        ": stop it first ('spacelet-run kill " + id + " KILL') or delete it with --force");
  }
  if (loaded->status != Status::kStopped) SPACELET_TRY(killInit(global, *loaded));
  return destroyContainer(global, loaded->store, loaded->state, loaded->dir.get());
}

}  // namespace spacelet::sandbox::container
