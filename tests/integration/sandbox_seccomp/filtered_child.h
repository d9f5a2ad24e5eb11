// Runs a piece of code in a forked child under a seccomp filter and reports how the child
// ended, so tests observe the kernel's real answer (an errno, SIGSYS, a normal exit).
// The test process is single-threaded when it forks; the child only makes syscalls and
// _exits, never returning into gtest.
#pragma once

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <optional>

#include "sandbox/seccomp/seccomp.h"

namespace spacelet::sandbox::seccomp::testing {

struct ChildEnd {
  bool exited = false;
  int code = -1;   // exit status when exited
  int signal = 0;  // terminating signal otherwise
};

// Child exit codes reserved by the harness (tests' bodies return small errno values).
inline constexpr int kLoadFailed = 200;
inline constexpr int kNoNewPrivsFailed = 201;

// Forks; the child sets no_new_privs, loads `filter` (when given) and _exits with what
// `body` returns. Core dumps are disabled so SIGSYS deaths leave nothing behind.
inline ChildEnd runFiltered(const std::optional<CompiledFilter>& filter,
                            const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    struct rlimit noCore {
      0, 0
    };
    ::setrlimit(RLIMIT_CORE, &noCore);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(kNoNewPrivsFailed);
    if (filter && load(*filter) < 0) ::_exit(kLoadFailed);
    ::_exit(body());
  }
  ChildEnd end;
  if (pid < 0) return end;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  end.exited = WIFEXITED(status);
  end.code = end.exited ? WEXITSTATUS(status) : -1;
  end.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return end;
}

// A body's result: 0 when the call succeeded, else the errno it failed with.
inline int errnoOf(long rc) {
  return rc >= 0 ? 0 : errno;
}

}  // namespace spacelet::sandbox::seccomp::testing
