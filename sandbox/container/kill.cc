// `spacelet-run kill`: a signal to the init through a pidfd checked against the recorded
// start time, or with --all to every process in the container's cgroup.
#include <sys/syscall.h>

#include "sandbox/container/loaded.h"

namespace spacelet::sandbox::container {

Result<void> kill(const GlobalOptions& global, const std::string& id, int signal, bool all) {
  auto loaded = loadContainer(global, id, false);
  if (!loaded) return fail(std::move(loaded).error());
  using state::Status;
  if (all) {
    SPACELET_TRY(requireStatus(
        *loaded, {Status::kCreated, Status::kRunning, Status::kPaused, Status::kStopped}, "kill"));
    auto cg = reopenCgroup(global, loaded->state);
    if (!cg) return fail(std::move(cg).error());
    return (*cg)->killAll(signal);
  }
  SPACELET_TRY(
      requireStatus(*loaded, {Status::kCreated, Status::kRunning, Status::kPaused}, "kill"));
  auto pidfd = openInitPidfd(loaded->state);
  if (!pidfd) return fail(std::move(pidfd).error());
  if (::syscall(SYS_pidfd_send_signal, pidfd->get(), signal, nullptr, 0) != 0) {
    return failErrno(errno, "send signal " + std::to_string(signal) + " to container '" + id + "'");
  }
  return {};
}

}  // namespace spacelet::sandbox::container
