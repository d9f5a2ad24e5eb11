// The hook runner (see hooks.h): clone3 with CLONE_PIDFD, state on a pipe, output captured
// from a second pipe, and poll(2) on the pidfd for the timeout.
#include "sandbox/hooks/hooks.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

namespace spacelet::sandbox::hooks {
namespace {

struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

long monotonicMs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Keeps the tail of the hook's output in out.output.
void keepOutput(int fd, HookOutcome& out) {
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    size_t have = std::strlen(out.output), add = static_cast<size_t>(n);
    size_t cap = sizeof out.output - 1;
    if (add >= cap) {
      std::memcpy(out.output, buf + add - cap, cap);
      out.output[cap] = '\0';
      continue;
    }
    if (have + add > cap) {
      std::memmove(out.output, out.output + (have + add - cap), cap - add);
      have = cap - add;
    }
    std::memcpy(out.output + have, buf, add);
    out.output[have + add] = '\0';
  }
}

[[noreturn]] void execHook(const PreparedHook& hook, int stdinFd, int outputFd) {
  if (::dup2(stdinFd, 0) < 0 || ::dup2(outputFd, 1) < 0 || ::dup2(outputFd, 2) < 0) _exit(126);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::execve(hook.path().c_str(), hook.argv(), hook.envp());
  _exit(127);
}

// Waits for the hook, draining its output, killing it once the timeout passes.
void waitHook(const PreparedHook& hook, int pidfd, int outputFd, HookOutcome& out) {
  long deadline = hook.timeoutMs() < 0 ? -1 : monotonicMs() + hook.timeoutMs();
  struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {outputFd, POLLIN, 0}};
  for (;;) {
    int wait = deadline < 0 ? -1 : static_cast<int>(deadline - monotonicMs());
    if (deadline >= 0 && wait <= 0) {
      out.timedOut = true;
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
      break;
    }
    int n = ::poll(fds, fds[1].fd >= 0 ? 2 : 1, wait);
    if (n < 0 && errno != EINTR) break;
    if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP))) keepOutput(outputFd, out);
    if (n > 0 && (fds[1].revents & POLLHUP)) fds[1].fd = -1;
    if (n > 0 && (fds[0].revents & POLLIN)) break;
  }
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) != 0 && errno == EINTR) {
  }
  keepOutput(outputFd, out);
  out.exitStatus = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

}  // namespace

PreparedHook::PreparedHook(const spec::Hook& hook)
    : path_(hook.path), args_(hook.args), env_(hook.env) {
  if (args_.empty()) args_.push_back(path_);
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (auto& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
  if (hook.timeoutSeconds) timeoutMs_ = *hook.timeoutSeconds * 1000;
}

std::vector<PreparedHook> prepareHooks(const std::vector<spec::Hook>& hooks) {
  std::vector<PreparedHook> out;
  out.reserve(hooks.size());
  for (const auto& hook : hooks) out.emplace_back(hook);
  return out;
}

void runHook(const PreparedHook& hook, const char* state, size_t stateLen, HookOutcome& out) {
  int in[2], output[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return (void)(out.err = errno, out.what = "create pipe");
  FdGuard inRead{in[0]}, inWrite{in[1]};
  if (::pipe2(output, O_CLOEXEC) != 0) return (void)(out.err = errno, out.what = "create pipe");
  FdGuard outRead{output[0]}, outWrite{output[1]};
  // The state is written before the hook runs: a hook that never reads stdin cannot block us.
  ::fcntl(inWrite.fd, F_SETPIPE_SZ, static_cast<int>(stateLen + 4096));
  ::fcntl(inWrite.fd, F_SETFL, O_NONBLOCK);
  (void)!::write(inWrite.fd, state, stateLen);
  ::close(inWrite.fd);
  inWrite.fd = -1;
  int pidfd = -1;
  struct clone_args args {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return (void)(out.err = errno, out.what = "start hook");
  if (pid == 0) execHook(hook, inRead.fd, outWrite.fd);
  FdGuard pidGuard{pidfd};
  ::close(outWrite.fd);
  outWrite.fd = -1;
  ::fcntl(outRead.fd, F_SETFL, O_NONBLOCK);
  waitHook(hook, pidfd, outRead.fd, out);
}

std::string describeFailure(const HookOutcome& outcome, const std::string& kind, size_t index,
                            const std::string& path) {
  std::string where = "hooks." + kind + "[" + std::to_string(index) + "] '" + path + "'";
  if (outcome.err != 0) return where + ": " + outcome.what + ": " + std::strerror(outcome.err);
  std::string message;
  if (outcome.timedOut) {
    message = where + " did not finish within its timeout and was killed";
  } else if (outcome.exitStatus == 127) {
    message = where + " could not be executed (is the path right and executable?)";
  } else {
    message = where + " exited with status " + std::to_string(outcome.exitStatus);
  }
  if (outcome.output[0] != '\0') message += ": " + std::string(outcome.output);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

Result<void> runHooks(const std::vector<PreparedHook>& hooks, const std::string& state,
                      const std::string& kind) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    HookOutcome outcome;
    runHook(hooks[i], state.data(), state.size(), outcome);
    if (!outcome.ok()) {
      return fail(Error{outcome.err != 0 ? outcome.err : ECANCELED,
                        describeFailure(outcome, kind, i, hooks[i].path())});
    }
  }
  return {};
}

}  // namespace spacelet::sandbox::hooks
