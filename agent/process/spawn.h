// The one place spaceletd starts processes. The agent is multi-threaded, so it never runs its
// own code in a forked child: posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK) + exec) starts
// the program directly, with an explicit environment, explicit fd passing, every other fd
// closed, signals reset to default and an empty signal mask.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spacelet/base/error.h"
#include "spacelet/base/unique_fd.h"

namespace spacelet::agent::process {

// What a child's stdin, stdout or stderr is connected to.
enum class Stream {
  kNull,     // /dev/null
  kInherit,  // the agent's own fd 0/1/2
  kPipe,     // a pipe whose other end is in Child (stdin: write end; stdout/stderr: read end)
};

// An fd handed to the child at `target`. `source` is borrowed; it must stay open until spawn()
// returns. Targets 0..2 override the Stream settings.
struct FdMapping {
  FdView source;
  int target = -1;
};

struct SpawnOptions {
  // argv[0] is the program: an absolute path, or a bare name searched in the agent's PATH.
  std::vector<std::string> argv;
  // The child's whole environment, as "KEY=VALUE". Nothing is inherited unless inheritEnv.
  std::vector<std::string> env;
  bool inheritEnv = false;  // start from the agent's environment, then apply `env` on top
  std::string cwd;          // empty: the agent's working directory
  Stream stdinMode = Stream::kNull;
  Stream stdoutMode = Stream::kNull;
  Stream stderrMode = Stream::kNull;
  bool mergeStderr = false;  // stderr goes wherever stdout goes (one pipe for both)
  std::vector<FdMapping> fds;
  bool newProcessGroup = false;  // the child leads its own process group (signal it as a whole)
  bool newSession = false;       // setsid(): no controlling terminal, outlives the agent's session
};

// How a process ended.
struct ExitStatus {
  bool signaled = false;
  int value = 0;  // the exit code, or the signal number when signaled

  bool success() const { return !signaled && value == 0; }
  // As a shell reports it: the exit code, or 128 + the signal.
  int shellStatus() const { return signaled ? 128 + value : value; }
  std::string describe() const;  // "exit code 3", "killed by signal 9 (SIGKILL)"
};

// A started child. Owns its pidfd and the parent ends of its pipes. The owner must reap it
// (wait() or tryReap()); a Child destroyed unreaped is reaped only if it has already exited.
// Not thread-safe; one thread at a time may use a Child.
class Child {
 public:
  Child() = default;
  Child(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  Child(Child&&) noexcept = default;
  Child& operator=(Child&&) noexcept = default;
  ~Child();

  pid_t pid() const { return pid_; }
  // Becomes readable (EPOLLIN) when the child exits: watch it from an event loop, then tryReap().
  FdView pidfd() const { return pidfd_.view(); }
  UniqueFd stdinPipe;   // write end, when stdinMode is kPipe
  UniqueFd stdoutPipe;  // read end, when stdoutMode is kPipe
  UniqueFd stderrPipe;  // read end, when stderrMode is kPipe and not merged

  // Sends a signal through the pidfd (never hits a recycled pid). With group, to the whole
  // process group (the child must have been started with newProcessGroup).
  Result<void> signal(int sig, bool group = false) const;
  // Blocks until the child exits and reaps it.
  Result<ExitStatus> wait();
  // Reaps the child if it has exited; nullopt while it is still running.
  Result<std::optional<ExitStatus>> tryReap();
  bool reaped() const { return reaped_; }

 private:
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

// Starts a process. Errors name the program and say why (exec failures included: posix_spawn
// reports them synchronously).
Result<Child> spawn(const SpawnOptions& options);

struct RunOptions {
  std::string input;                         // written to stdin, then stdin is closed
  std::chrono::milliseconds timeout{0};      // 0: no limit; on expiry the child is killed
  size_t maxOutputBytes = 16 * 1024 * 1024;  // output beyond this is dropped
};

struct RunResult {
  ExitStatus status;
  std::string output;  // stdout (and stderr, when merged)
  std::string errors;  // stderr, when not merged
  bool timedOut = false;
};

// Spawns, feeds `input`, collects stdout/stderr and waits: for short commands (nft, git) run
// from a worker thread. Blocks the calling thread; never call it on the event loop thread.
// stdin/stdout/stderr modes in `options` are overridden to pipes.
Result<RunResult> run(SpawnOptions options, const RunOptions& runOptions = {});

}  // namespace spacelet::agent::process
