// `spacelet-run start`: open exec.fifo for reading, which releases the init blocked on
// opening it for writing; the byte it writes says it got past the open. Then the fifo goes
// (the container is no longer "created") and poststart hooks run.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/container/creation.h"
#include "sandbox/container/loaded.h"
#include "spacelet/base/log.h"

namespace spacelet::sandbox::container {
namespace {

// The init exits right after it reports a failure, but it closes the fifo before the kernel
// marks it dead: a `state` run straight after a failed start must already say "stopped".
constexpr int kFailedInitExitMs = 10000;

// The init writes '0' once released, keeps the fifo open until it executes the program
// (the fd is close-on-exec), and writes 'x' first if it fails on the way. So: '0' then EOF
// means the program runs; 'x', or EOF without '0', means the start failed.
Result<void> releaseInit(int dirFd, int pidfd) {
  UniqueFd fifo(::openat(dirFd, state::kExecFifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return failErrno(errno, "open exec.fifo");
  std::string seen;
  struct pollfd p {
    fifo.get(), POLLIN, 0
  };
  for (;;) {
    if (::poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      return failErrno(errno, "wait on exec.fifo");
    }
    char buf[8];
    ssize_t got = ::read(fifo.get(), buf, sizeof buf);
    if (got > 0) seen.append(buf, static_cast<size_t>(got));
    if (got == 0 && !seen.empty()) break;  // every writer is gone
    // EOF before any byte: no writer yet; the init is on its way to the fifo, or dead.
    struct pollfd dead {
      pidfd, POLLIN, 0
    };
    if (got == 0 && ::poll(&dead, 1, 0) == 1) break;
    if (got == 0) ::usleep(1000);
  }
  if (seen != "0") {
    return failErrno(ECANCELED,
                     "the container's init failed before running the program (a "
                     "startContainer hook failed or seccomp refused it)");
  }
  return {};
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
  auto released = releaseInit(loaded->dir.get(), pidfd->get());
  if (!released) {
    if (!waitForExit(pidfd->get(), kFailedInitExitMs)) {
      ::syscall(SYS_pidfd_send_signal, pidfd->get(), SIGKILL, nullptr, 0);
      (void)waitForExit(pidfd->get(), kFailedInitExitMs);
    }
    return released;
  }
  if (::unlinkat(loaded->dir.get(), state::kExecFifo, 0) != 0 && errno != ENOENT) {
    return failErrno(errno, "remove exec.fifo");
  }
  runPoststartHooks(*spec, loaded->state);
  return {};
}

}  // namespace spacelet::sandbox::container
