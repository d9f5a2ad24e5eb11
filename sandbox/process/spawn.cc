// Parent side of process creation (see spawn.h and the sequence in sync.h).
#include "sandbox/process/spawn.h"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "sandbox/linux/idmap.h"
#include "sandbox/linux/mount_sources.h"

namespace spacelet::sandbox::process {
namespace {

// clone3 in fork mode (no CLONE_VM, no new stack). Returns the pid (0 in the child).
Result<pid_t> cloneChild(int* pidfd, int cgroupFd) {
  struct clone_args args {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroupFd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroupFd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return failErrno(errno, "clone3 the container's first process");
  return static_cast<pid_t>(pid);
}

Result<Received> expectMessage(int fd, Message wanted) {
  auto received = receiveAny(fd);
  if (!received) return received;
  if (received->eof) {
    return failErrno(
        EPIPE, std::string("the container's process exited before '") + messageName(wanted) + "'");
  }
  if (received->message == Message::kError) return fail(childError(received->payload));
  if (received->message != wanted) {
    return failErrno(EPROTO, std::string("expected '") + messageName(wanted) + "' from the " +
                                 "container's process, got '" + messageName(received->message) +
                                 "'");
  }
  return received;
}

template <typename T>
T payloadAs(const std::string& payload) {
  T value{};
  std::memcpy(&value, payload.data(), std::min(payload.size(), sizeof value));
  return value;
}

// A send that fails because the child is gone: its kError, when it sent one, says why.
Result<void> sendToChild(int fd, Message message, const void* payload = nullptr,
                         size_t length = 0) {
  auto sent = sendOrFail(fd, message, payload, length);
  if (sent) return sent;
  auto pending = receiveAny(fd);
  if (pending && !pending->eof && pending->message == Message::kError) {
    return fail(childError(pending->payload));
  }
  return sent;
}

// Which process the parent moves into the container's cgroup (unless CLONE_INTO_CGROUP
// put the intermediate there at birth).
enum class JoinCgroup { kIntermediate, kChild };

// kMountsReady: the rootfs and bind sources, opened inside the intermediate's new mount
// namespace, go back to it.
Result<void> sendMountSources(pid_t intermediate, int fd, const InitPlan& plan) {
  SPACELET_TRY(expectMessage(fd, Message::kMountsReady));
  auto opened = linux::openInMountNamespaceOf(intermediate, plan.mountSourcePaths);
  if (!opened) return fail(std::move(opened).error());
  std::vector<int> fds;
  for (const auto& f : *opened) fds.push_back(f.get());
  return sendFds(fd, Message::kMountSources, fds);
}

// The intermediate's part: id maps, mount sources (init only), then the pid of the process
// it cloned.
Result<ChildProcess> handshake(ChildProcess& intermediate, int fd, const SpawnCallbacks& cb,
                               JoinCgroup join, const InitPlan* plan) {
  bool joinNeeded = cb.cgroupFd < 0 && cb.joinCgroup;
  if (joinNeeded && join == JoinCgroup::kIntermediate) {
    SPACELET_TRY(cb.joinCgroup(intermediate.pid()));
  }
  auto ready = expectMessage(fd, Message::kIntermediateReady);
  if (!ready) return fail(std::move(ready).error());
  if (payloadAs<uint32_t>(ready->payload) != 0) {
    SPACELET_TRY(linux::writeIdMaps(intermediate.pid(), cb.uidMap, cb.gidMap));
  }
  SPACELET_TRY(sendToChild(fd, Message::kParentReady));
  if (plan != nullptr) SPACELET_TRY(sendMountSources(intermediate.pid(), fd, *plan));
  auto pidMessage = expectMessage(fd, Message::kInitPid);
  if (!pidMessage) return fail(std::move(pidMessage).error());
  pid_t pid = payloadAs<int32_t>(pidMessage->payload);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return failErrno(errno, "open the container's process");
  ChildProcess child(pid, UniqueFd(pidfd));
  auto status = intermediate.wait();
  if (!status) return fail(std::move(status).error());
  if (joinNeeded && join == JoinCgroup::kChild) SPACELET_TRY(cb.joinCgroup(pid));
  return child;
}

// Clones the intermediate, which runs `body` (never returning) in the child.
template <typename Body>
Result<ChildProcess> startIntermediate(SyncPair& pair, int cgroupFd, Body body) {
  int pidfd = -1;
  auto pid = cloneChild(&pidfd, cgroupFd);
  if (!pid) return fail(std::move(pid).error());
  if (*pid == 0) {
    // Without the parent's end the child sees EOF, not a hang, if the runtime dies.
    ::close(pair.parent.release());
    body();
    _exit(1);
  }
  pair.child.reset();
  return ChildProcess(*pid, UniqueFd(pidfd));
}

// The init's part after the handshake: state, runtime hooks, until kInitReady.
Result<void> awaitInitReady(ChildProcess& init, int fd, const SpawnCallbacks& cb) {
  std::string state = cb.stateJson ? cb.stateJson(init.pid()) : std::string("{}");
  SPACELET_TRY(sendToChild(fd, Message::kState, state.data(), state.size()));
  for (;;) {
    auto received = receiveAny(fd);
    if (!received) return fail(std::move(received).error());
    if (received->eof) return failErrno(EPIPE, "the container's init exited during setup");
    if (received->message == Message::kError) return fail(childError(received->payload));
    if (received->message == Message::kInitReady) return {};
    if (received->message != Message::kRunRuntimeHooks) {
      return failErrno(EPROTO, std::string("unexpected '") + messageName(received->message) +
                                   "' from the container's init");
    }
    if (cb.runtimeHooks) SPACELET_TRY(cb.runtimeHooks(init.pid()));
    SPACELET_TRY(sendToChild(fd, Message::kHooksDone));
  }
}

// After kStart or for exec: EOF means execve succeeded; kError means it did not.
Result<void> awaitExec(int fd) {
  auto received = receiveAny(fd);
  if (!received) return fail(std::move(received).error());
  if (received->eof) return {};
  if (received->message == Message::kError) return fail(childError(received->payload));
  return failErrno(EPROTO, std::string("unexpected '") + messageName(received->message) +
                               "' from the container's process");
}

}  // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill();
}

UniqueFd ChildProcess::release() {
  pid_ = -1;
  return std::move(pidfd_);
}

void ChildProcess::kill() {
  if (!pidfd_) return;
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  (void)wait();
}

Result<int> ChildProcess::wait() {
  if (!pidfd_) return failErrno(ECHILD, "wait for the container's process");
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED) != 0) {
    if (errno != EINTR) return failErrno(errno, "wait for the container's process");
  }
  pidfd_.reset();
  pid_ = -1;
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

Result<Spawned> spawnInit(InitPlan& plan, SyncPair pair, const SpawnCallbacks& callbacks) {
  plan.process.syncFd = pair.child.get();
  auto intermediate = startIntermediate(pair, callbacks.cgroupFd, [&] { intermediateMain(plan); });
  if (!intermediate) return fail(std::move(intermediate).error());
  // The init starts mounting while the (slow, on cgroup v1) migration runs; it waits for
  // kState, sent after it, before anything that depends on its cgroup.
  auto init = handshake(*intermediate, pair.parent.get(), callbacks, JoinCgroup::kChild, &plan);
  if (!init) return fail(std::move(init).error());
  if (callbacks.configure) SPACELET_TRY(callbacks.configure(init->pid()));
  SPACELET_TRY(awaitInitReady(*init, pair.parent.get(), callbacks));
  return Spawned{std::move(*init), std::move(pair.parent)};
}

Result<ChildProcess> spawnExec(ProcessPlan& plan, int joinPidfd, int nsFlags, SyncPair pair,
                               const SpawnCallbacks& callbacks) {
  plan.syncFd = pair.child.get();
  auto intermediate = startIntermediate(pair, callbacks.cgroupFd,
                                        [&] { execIntermediateMain(plan, joinPidfd, nsFlags); });
  if (!intermediate) return fail(std::move(intermediate).error());
  auto child =
      handshake(*intermediate, pair.parent.get(), callbacks, JoinCgroup::kIntermediate, nullptr);
  if (!child) return fail(std::move(child).error());
  if (callbacks.configure) SPACELET_TRY(callbacks.configure(child->pid()));
  SPACELET_TRY(sendToChild(pair.parent.get(), Message::kStart));
  SPACELET_TRY(awaitExec(pair.parent.get()));
  return std::move(*child);
}

Result<void> startViaSync(Spawned& spawned) {
  SPACELET_TRY(sendToChild(spawned.sync.get(), Message::kStart));
  return awaitExec(spawned.sync.get());
}

}  // namespace spacelet::sandbox::process
