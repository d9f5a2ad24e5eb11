// Spawning nft (see nft_runner.h). One place in the network policy starts processes; it always
// execs. The wait uses a pidfd so that a timeout never signals a recycled pid.
#include "nft_runner.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"
#include "spacelet/base/file_io.h"

namespace spacelet::netpolicy {
namespace {

Result<UniqueFd> memfd(const char* name, std::string_view content) {
  int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return failErrno(errno, "memfd_create");
  UniqueFd owned(fd);
  SPACELET_TRY_CONTEXT(writeAll(fd, content), "fill memfd");
  if (::lseek(fd, 0, SEEK_SET) < 0) return failErrno(errno, "rewind memfd");
  return owned;
}

Result<std::string> readBack(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return failErrno(errno, "rewind memfd");
  return readAll(fd);
}

// RAII for posix_spawn's two C structures.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

Result<pid_t> spawn(const std::vector<std::string>& argv, const int (&stdio)[3]) {
  SpawnSetup s;
  for (int target = 0; target < 3; ++target) {
    posix_spawn_file_actions_adddup2(&s.actions, stdio[target], target);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &all);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char locale[] = "LC_ALL=C";
  char* env[] = {path, locale, nullptr};
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, argv[0].c_str(), &s.actions, &s.attr, args.data(), env);
  if (err != 0) return failErrno(err, "start '" + argv[0] + "'");
  return pid;
}

// Waits for pid up to timeout; kills it past the timeout. Returns the shell-style status.
Result<int> waitWithTimeout(pid_t pid, std::chrono::milliseconds timeout) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  UniqueFd owned(pidfd);
  bool timedOut = false;
  // COMPAT(linux<5.3): without pidfd_open there is no timeout; waitpid blocks until exit.
  if (pidfd >= 0) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int n;
    do n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (n < 0 && errno == EINTR);
    if (n == 0) {
      timedOut = true;
      ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failErrno(errno, "wait for child");
  }
  if (timedOut)
    return fail(Error{ETIMEDOUT, "killed after " + std::to_string(timeout.count()) + " ms"});
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<ProgramOutput> runProgram(const std::vector<std::string>& argv, std::string_view input,
                                 std::chrono::milliseconds timeout) {
  auto in = memfd("stdin", input);
  auto out = memfd("stdout", {});
  auto err = memfd("stderr", {});
  if (!in || !out || !err) return fail(Error(!in ? in.error() : !out ? out.error() : err.error()));
  auto pid = spawn(argv, {in->get(), out->get(), err->get()});
  if (!pid) return fail(std::move(pid).error());
  auto status = waitWithTimeout(*pid, timeout);
  if (!status) return fail(std::move(status).error().withContext("'" + argv[0] + "'"));
  ProgramOutput result;
  result.status = *status;
  auto outText = readBack(out->get());
  auto errText = readBack(err->get());
  if (!outText || !errText) return failErrno(EIO, "read the output of '" + argv[0] + "'");
  result.out = std::move(*outText);
  result.err = std::move(*errText);
  return result;
}

Result<std::string> NftRunner::run(const std::vector<std::string>& args,
                                   std::string_view input) const {
  std::vector<std::string> argv = {nftPath_};
  argv.insert(argv.end(), args.begin(), args.end());
  auto output = runInNetns(netns_, [&] { return runProgram(argv, input, timeout_); });
  if (!output) return fail(std::move(output).error().withContext("nft"));
  if (output->status != 0) {
    return fail(Error{EPROTO, "nft exited with status " + std::to_string(output->status) + ": " +
                                  trimmed(output->err)});
  }
  return std::move(output->out);
}

Result<std::string> NftRunner::apply(const nlohmann::json& document) const {
  return run({"-j", "-f", "-"}, document.dump());
}

}  // namespace spacelet::netpolicy
