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

using Clock = std::chrono::steady_clock;

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

}  // namespace

Result<pid_t> spawnProgram(const std::vector<std::string>& argv, const int (&stdio)[3]) {
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

namespace {

// Reaps pid; returns the shell-style status.
Result<int> reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return failErrno(errno, "wait for child");
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

RunningProgram::RunningProgram(RunningProgram&& other) noexcept
    : program_(std::move(other.program_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)),
      deadline_(other.deadline_) {}

RunningProgram::~RunningProgram() {
  if (pid_ < 0) return;
  if (pidfd_) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  (void)reap(pid_);
}

Result<ProgramOutput> RunningProgram::finish() {
  bool timedOut = false;
  // COMPAT(linux<5.3): without pidfd_open there is no timeout; waitpid blocks until exit.
  if (pidfd_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    struct pollfd p = {pidfd_.get(), POLLIN, 0};
    int n;
    do n = ::poll(&p, 1, std::max<int>(0, static_cast<int>(left.count())));
    while (n < 0 && errno == EINTR);
    if (n == 0) {
      timedOut = true;
      ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    }
  }
  auto status = reap(std::exchange(pid_, -1));
  if (!status) return fail(std::move(status).error().withContext("'" + program_ + "'"));
  if (timedOut) return fail(Error{ETIMEDOUT, "'" + program_ + "' was killed after its timeout"});
  auto out = readBack(out_.get());
  auto err = readBack(err_.get());
  if (!out || !err) return failErrno(EIO, "read the output of '" + program_ + "'");
  return ProgramOutput{*status, std::move(*out), std::move(*err)};
}

Result<RunningProgram> startProgram(const std::vector<std::string>& argv, std::string_view input,
                                    std::chrono::milliseconds timeout) {
  auto in = memfd("stdin", input);
  auto out = memfd("stdout", {});
  auto err = memfd("stderr", {});
  if (!in || !out || !err) return fail(Error(!in ? in.error() : !out ? out.error() : err.error()));
  auto pid = spawnProgram(argv, {in->get(), out->get(), err->get()});
  if (!pid) return fail(std::move(pid).error());
  RunningProgram running;
  running.program_ = argv[0];
  running.pid_ = *pid;
  running.pidfd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));
  running.out_ = std::move(*out);
  running.err_ = std::move(*err);
  running.deadline_ = Clock::now() + timeout;
  return running;
}

Result<std::string> NftRunner::Pending::finish() {
  if (helper_) return helper_->receive();
  auto output = program_.finish();
  if (!output) return fail(std::move(output).error().withContext("nft"));
  if (output->status != 0) {
    return fail(Error{EPROTO, "nft exited with status " + std::to_string(output->status) + ": " +
                                  trimmed(output->err)});
  }
  return std::move(output->out);
}

Result<NftRunner::Pending> NftRunner::startArgs(const std::vector<std::string>& args,
                                                std::string_view input) const {
  std::vector<std::string> argv = {nftPath_};
  argv.insert(argv.end(), args.begin(), args.end());
  auto running = runInNetns(netns_, [&] { return startProgram(argv, input, timeout_); });
  if (!running) return fail(std::move(running).error().withContext("nft"));
  return Pending(std::move(*running));
}

Result<NftRunner::Pending> NftRunner::start(const nlohmann::json& document) const {
  if (!helper_) return startArgs({"-j", "-f", "-"}, document.dump());
  SPACELET_TRY(helper_->send(document.dump()));
  return Pending(helper_.get());
}

Result<std::string> NftRunner::apply(const nlohmann::json& document) const {
  auto pending = start(document);
  if (!pending) return fail(std::move(pending).error());
  return pending->finish();
}

Result<std::string> NftRunner::run(const std::vector<std::string>& args,
                                   std::string_view input) const {
  auto pending = startArgs(args, input);
  if (!pending) return fail(std::move(pending).error());
  return pending->finish();
}

}  // namespace spacelet::netpolicy
