// The typed protocol between spacelet-run (the parent) and the processes it clones, over a
// SOCK_SEQPACKET socketpair (one message per send, boundaries kept). The child side never
// allocates: payloads go into buffers prepared before clone.
//
//  parent (spacelet-run)            intermediate                    init
//   clone3(CLONE_PIDFD) ───────────▶ join linux.namespaces paths
//                                    unshare(CLONE_NEWUSER)
//        ◀──────── kIntermediateReady
//   write uid_map/gid_map
//        ────────── kParentReady ───▶ unshare(other namespaces
//                                            but cgroup)
//        ◀──────── kMountsReady ────
//   open rootfs + bind sources
//   via /proc/<pid>/root (its mount
//   namespace, host privileges)
//        ────────── kMountSources ──▶ (fds, SCM_RIGHTS)
//                                    clone3(CLONE_PARENT) ─────────▶ (pid 1 of a new pid ns)
//        ◀──────── kInitPid{pid} ─── _exit(0)                       setsid, keyring,
//   reap intermediate,                                              rootfs bind, mounts
//   cgroup.addProcess(init),                                        (before any cgroup
//   prlimit, oom_score_adj                                           mount:)
//        ────────── kState{json} ────────────────────────────────▶ /proc/self/cgroup,
//                                                                  unshare(CLONE_NEWCGROUP),
//                                                                  the rest of the mounts,
//                                                                  devices
//        ◀───────────────────────────────── kRunRuntimeHooks ────  (only with such hooks)
//   prestart + createRuntime hooks
//        ────────── kHooksDone ──────────────────────────────────▶ createContainer hooks,
//                                                                  pivot_root, console,
//                                                                  sysctl, masks, user, caps
//        ◀───────────────────────────────── kInitReady ──────────
//   create: write state, exit                                      block on exec.fifo
//   run: ─────────── kStart ─────────────────────────────────────▶ startContainer hooks,
//        ◀──── EOF (execve closed the socket) or kError ─────────  seccomp, execve
//
// Moving another process into a cgroup waits for an RCU grace period (10-40 ms here), so
// the parent's cgroup.addProcess(init) runs while the init mounts. With the v1 / hybrid fs
// driver the init instead joins by itself, first thing (it writes "0" to each v1 `tasks`
// file, which skips that wait; the intermediate was cloned into the v2 part), and the
// parent moves nothing (cgroup::Manager::selfJoin).
// Any child reports a failure as kError with a ChildErrorRecord and _exits; `exec` uses the
// same sequence without kState/kRunRuntimeHooks/kInitReady (it has no fifo: EOF = started);
// there the intermediate is moved into the cgroup before kIntermediateReady is read.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::sandbox::process {

enum class Message : uint32_t {
  kIntermediateReady = 1,  // payload: uint32 1 when id maps are needed
  kParentReady,
  kInitPid,  // payload: int32 pid, as the parent's pid namespace sees it
  kState,    // payload: the OCI state JSON for hooks run inside the container
  kRunRuntimeHooks,
  kHooksDone,
  kInitReady,
  kStart,
  kError,         // payload: ChildErrorRecord
  kMountsReady,   // the intermediate's mount namespace exists: send the mount sources
  kMountSources,  // SCM_RIGHTS: the rootfs and bind sources, opened in that namespace
};

const char* messageName(Message message);

// A fixed-size error from a child: errno and a message built without allocation.
struct ChildErrorRecord {
  int32_t code = 0;
  char message[1500] = {};
};

// Appends text to a fixed buffer, truncating; for building messages in the child.
class FixedText {
 public:
  FixedText(char* buf, size_t size) : buf_(buf), size_(size) { buf_[0] = '\0'; }
  FixedText& add(const char* text);
  FixedText& addInt(long value);

 private:
  char* buf_;
  size_t size_;
  size_t used_ = 0;
};

struct SyncPair {
  UniqueFd parent;
  UniqueFd child;
};
Result<SyncPair> makeSyncPair();

// Child side (async-signal-safe). send() is one sendmsg; receive() fails (false) on EOF, a
// different message than `expected`, or a payload larger than `capacity`.
bool sendMessage(int fd, Message message, const void* payload = nullptr, size_t length = 0);
bool receiveMessage(int fd, Message expected, void* payload = nullptr, size_t capacity = 0,
                    size_t* length = nullptr);
inline constexpr size_t kMaxFds = 250;  // below the kernel's SCM_MAX_FD (253)

// Receives `message` carrying exactly `count` fds (SCM_RIGHTS) into out (child side).
bool receiveFds(int fd, Message expected, int* out, size_t count);
// Sends kError and exits the child with status 1.
[[noreturn]] void failChild(int fd, const ChildErrorRecord& record);

// Parent side.
struct Received {
  Message message = Message::kError;
  std::string payload;
  bool eof = false;  // the child closed its end (exited, or execve'd)
};
Result<Received> receiveAny(int fd);
Result<void> sendOrFail(int fd, Message message, const void* payload = nullptr, size_t length = 0);
// Sends `message` with `fds` attached (at most kMaxFds).
Result<void> sendFds(int fd, Message message, const std::vector<int>& fds);
// Turns a kError payload into an Error.
Error childError(const std::string& payload);

}  // namespace spacelet::sandbox::process
