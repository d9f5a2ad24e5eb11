// `spacelet-run run`: create and start in one process. The init waits for kStart on the
// sync socket instead of the exec fifo; in the foreground spacelet-run then waits for it,
// records its exit status in the state and deletes the container (unless --keep).
#include <sys/socket.h>

#include "sandbox/container/creation.h"
#include "sandbox/container/foreground.h"
#include "sandbox/container/loaded.h"
#include "sandbox/linux/console.h"
#include "spacelet/base/log.h"

namespace spacelet::sandbox::container {
namespace {

// A socketpair standing in for --console-socket when run holds the terminal itself.
struct OwnConsole {
  UniqueFd ours;
  UniqueFd theirs;
};

Result<OwnConsole> ownConsole() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return failErrno(errno, "create a socket for the container's terminal");
  }
  return OwnConsole{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool needsOwnConsole(const RunOptions& options) {
  return !options.detach && options.create.consoleSocket.empty();
}

// The container's lock is released while waiting: `state`, `kill` and `delete` from other
// processes work meanwhile, as with runc. If one of them deleted the container, the exit
// status is still ours to return; the state directory fd pins the deleted directory, so it
// is only written when state.json is still there.
Result<int> finishForeground(const GlobalOptions& global, const RunOptions& options,
                             Created& created, const ForwardedSignals& signals, int terminal) {
  state::Store::unlock(created.dir.get());
  auto status = waitInForeground(created.spawned.process, signals, terminal);
  if (!status) return status;
  SPACELET_TRY(state::Store::relock(created.dir.get(), created.state.id));
  if (!state::Store::exists(created.dir.get(), state::kStateFile)) return status;
  created.state.exitStatus = *status;
  SPACELET_TRY(state::Store::save(created.dir.get(), created.state));
  if (!options.keep) {
    SPACELET_TRY(destroyContainer(global, created.store, created.state, created.dir.get()));
  }
  return status;
}

}  // namespace

Result<int> run(const GlobalOptions& global, const RunOptions& options) {
  ForwardedSignals signals;
  OwnConsole console;
  if (needsOwnConsole(options)) {
    auto own = ownConsole();
    if (!own) return fail(std::move(own).error());
    console = std::move(*own);
  }
  auto created = createContainer(global, options.create, StartMode::kSync, console.theirs.get());
  if (!created) return fail(std::move(created).error());
  console.theirs.reset();
  UniqueFd terminal;
  if (created->spec.process->terminal && console.ours) {
    auto fd = linux::receiveFd(console.ours.get());
    if (!fd) return fail(std::move(fd).error());
    terminal = std::move(*fd);
  }
  if (auto started = process::startViaSync(created->spawned); !started) {
    created->spawned.process.kill();
    (void)destroyContainer(global, created->store, created->state, created->dir.get());
    return fail(std::move(started).error());
  }
  runPoststartHooks(created->spec, created->state);
  if (options.detach) {
    created->spawned.process.release();
    return 0;
  }
  return finishForeground(global, options, *created, signals, terminal.get());
}

}  // namespace spacelet::sandbox::container
