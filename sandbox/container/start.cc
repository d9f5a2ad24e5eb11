// `spacelet-run start`: open exec.fifo for reading, which releases the init blocked on
// opening it for writing; the byte it writes says it got past the open. Then the fifo goes
// (the container is no longer "created") and poststart hooks run.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "sandbox/container/creation.h"
#include "sandbox/container/loaded.h"
#include "spacelet/base/log.h"

namespace spacelet::sandbox::container {
namespace {

// Waits for the init's byte on the fifo, or for the init to die first.
Result<void> releaseInit(int dirFd, int pidfd) {
  UniqueFd fifo(::openat(dirFd, state::kExecFifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return failErrno(errno, "open exec.fifo");
  struct pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failErrno(errno, "wait on exec.fifo");
    char byte;
    ssize_t got = (fds[0].revents & POLLIN) ? ::read(fifo.get(), &byte, 1) : 0;
    if (got == 1) return {};
    if (fds[1].revents & POLLIN) {
      return failErrno(ESRCH, "the container's init exited before it could start");
    }
    // POLLHUP without data: no writer yet (the init has not reached the fifo); poll again.
    if (fds[0].revents & POLLHUP) ::usleep(1000);
  }
}

}  // namespace

void runPoststartHooks(const spec::Spec& spec, const state::ContainerState& s) {
  if (spec.hooks.poststart.empty()) return;
  std::string json = state::ociState(s, state::Status::kRunning).dump();
  auto ran = hooks::runHooks(hooks::prepareHooks(spec.hooks.poststart), json, "poststart");
  if (!ran) log::warning("container '" + s.id + "': " + ran.error().message);
}

Result<void> start(const GlobalOptions& global, const std::string& id) {
  auto loaded = loadContainer(global, id, true);
  if (!loaded) return fail(std::move(loaded).error());
  SPACELET_TRY(requireStatus(*loaded, {state::Status::kCreated}, "start"));
  auto spec = loadStoredConfig(loaded->dir.get());
  if (!spec) return fail(std::move(spec).error());
  auto pidfd = openInitPidfd(loaded->state);
  if (!pidfd) return fail(std::move(pidfd).error());
  SPACELET_TRY(releaseInit(loaded->dir.get(), pidfd->get()));
  if (::unlinkat(loaded->dir.get(), state::kExecFifo, 0) != 0 && errno != ENOENT) {
    return failErrno(errno, "remove exec.fifo");
  }
  runPoststartHooks(*spec, loaded->state);
  return {};
}

}  // namespace spacelet::sandbox::container
